// Where the repository argument points (builtin/clone.c: get_repo_path and the
// checks around it): a local repository, used through its absolute path as git
// writes it to remote.origin.url (made absolute, never normalised), a bundle
// file, or a URL.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { RepositoryNotFoundError } from '../errors.ts';
import { findGitDir } from '../repo/git-dir.ts';

export interface Source {
  /** What goes into remote.<name>.url and to the transport. */
  url: string;
  /** Shown in messages and reflogs: the URL without credentials. */
  display: string;
  local: boolean;
  /**
   * The file the repository argument names when it is no repository but a
   * regular file, `<arg>.bundle` first (builtin/clone.c get_repo_path_1): what
   * the transport reads. remote.<name>.url keeps the argument as typed.
   */
  bundle?: string;
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** git's transport_anonymize_url: drops `user:password@` from a URL. */
export function anonymizeUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/@]*@)?(.*)$/s.exec(url);
  if (m) return m[1] + m[3].replace(/^([^/]*@)/, '');
  return url;
}

export function resolveSource(arg: string, cwd: string): Source {
  // absolute_pathdup(): prefixed with the working directory, otherwise kept as typed.
  const absolute = () => (isAbsolute(arg) ? arg : `${cwd.replace(/\/+$/, '')}/${arg}`);
  if (findGitDir(resolve(cwd, arg)) !== null) {
    const url = absolute();
    return { url, display: url, local: true };
  }
  // Tried as typed (not normalised): `x.bundle/` names no file, as for git's stat().
  const file = [`${absolute()}.bundle`, absolute()].find(isRegularFile);
  if (file !== undefined) {
    const url = absolute();
    return { url, display: url, local: false, bundle: file };
  }
  if (arg.includes(':')) return { url: arg, display: anonymizeUrl(arg), local: false };
  throw new RepositoryNotFoundError(`repository '${arg}' does not exist`, { url: arg });
}

// Where the repository argument points (builtin/clone.c: get_repo_path and the
// checks around it): a local repository, used through its absolute path as git
// writes it to remote.origin.url (made absolute, never normalised), a bundle
// file, or a URL.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
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
  // absolute_pathdup(): prefixed with the working directory, otherwise kept as
  // typed, and looked up as typed: `repo/` is not `repo` (git tries `repo//.git`
  // and `repo/.git`, never `repo.git`), and `..` goes through symbolic links.
  const path = isAbsolute(arg) ? arg : `${cwd.replace(/\/+$/, '')}/${arg}`;
  if (findGitDir(path) !== null) return { url: path, display: path, local: true };
  // Tried as typed (not normalised): `x.bundle/` names no file, as for git's stat().
  const file = [`${path}.bundle`, path].find(isRegularFile);
  if (file !== undefined) return { url: path, display: path, local: false, bundle: file };
  if (arg.includes(':')) return { url: arg, display: anonymizeUrl(arg), local: false };
  throw new RepositoryNotFoundError(`repository '${arg}' does not exist`, { url: arg });
}

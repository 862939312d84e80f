// Where the repository argument points (builtin/clone.c: get_repo_path and the
// checks around it): a local repository, used through its absolute path as git
// writes it to remote.origin.url (made absolute, never normalised), or a URL.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RepositoryNotFoundError } from '../errors.ts';

function isGitDirectory(dir: string): boolean {
  try {
    if (!statSync(join(dir, 'objects')).isDirectory()) return false;
    if (!statSync(join(dir, 'refs')).isDirectory()) return false;
    return /^(ref: refs\/|[0-9a-f]{40})/.test(readFileSync(join(dir, 'HEAD'), 'utf8'));
  } catch {
    return false;
  }
}

/** The git directory behind a local repository argument, as git probes it; null when it is not one. */
export function localRepositoryPath(arg: string, cwd: string): string | null {
  const base = resolve(cwd, arg);
  for (const suffix of ['/.git', '', '.git/.git', '.git']) {
    const p = base + suffix;
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory() && isGitDirectory(p)) return p;
    if (st.isFile() && st.size > 8) {
      // A gitfile (`gitdir: <path>`), as a submodule's or worktree's .git is.
      const m = /^gitdir: (.*)\n?$/.exec(readFileSync(p, 'utf8'));
      if (m) {
        const target = isAbsolute(m[1]) ? m[1] : join(p, '..', m[1]);
        if (existsSync(target) && isGitDirectory(target)) return target;
      }
    }
  }
  return null;
}

export interface Source {
  /** What goes into remote.<name>.url and to the transport. */
  url: string;
  /** Shown in messages and reflogs: the URL without credentials. */
  display: string;
  local: boolean;
}

/** git's transport_anonymize_url: drops `user:password@` from a URL. */
export function anonymizeUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/@]*@)?(.*)$/s.exec(url);
  if (m) return m[1] + m[3].replace(/^([^/]*@)/, '');
  return url;
}

export function resolveSource(arg: string, cwd: string): Source {
  if (localRepositoryPath(arg, cwd) !== null) {
    // absolute_pathdup(): prefixed with the working directory, otherwise kept as typed.
    const url = isAbsolute(arg) ? arg : `${cwd.replace(/\/+$/, '')}/${arg}`;
    return { url, display: url, local: true };
  }
  if (arg.includes(':')) return { url: arg, display: anonymizeUrl(arg), local: false };
  throw new RepositoryNotFoundError(`repository '${arg}' does not exist`, { url: arg });
}

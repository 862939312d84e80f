// Whether a path names a local repository, and where its git directory is, by
// git's rules. builtin/clone.c get_repo_path() tries `<path>/.git`, `<path>`,
// `<path>.git/.git` and `<path>.git`, in that order (upload-pack's enter_repo()
// uses the same list), and takes the first that is a git directory or a gitfile.
//   - A git directory (setup.c is_git_directory()): a valid HEAD, and objects/
//     and refs/ in its common directory, which is itself unless a `commondir`
//     file names another (a linked worktree's .git/worktrees/<name>).
//   - A gitfile (setup.c read_gitfile_gently()), as a submodule's or a linked
//     worktree's `.git` is: `gitdir: <path>`, relative to the file's directory,
//     naming a git directory.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface GitDir {
  /** The git directory: HEAD (and a worktree's own state) lives here. */
  gitDir: string;
  /** Where objects/, refs/, packed-refs, config and shallow live (== gitDir but in a linked worktree). */
  commonDir: string;
}

const SUFFIXES = ['/.git', '', '.git/.git', '.git'];
// read_gitfile_gently() refuses larger files (READ_GITFILE_ERR_TOO_LARGE).
const GITFILE_MAX = 1 << 20;

/** The git directory `path` names, tried as git clone tries it; null when none of the candidates is one. */
export function findGitDir(path: string): GitDir | null {
  for (const suffix of SUFFIXES) {
    const p = path + suffix;
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      const found = gitDirectory(p);
      if (found) return found;
    } else if (st.isFile() && st.size > 8) {
      const target = gitfileTarget(p, st.size);
      const found = target === null ? null : gitDirectory(target);
      if (found) return found;
    }
  }
  return null;
}

/** `dir` as a git directory (is_git_directory()), with its common directory; null when it is not one. */
function gitDirectory(dir: string): GitDir | null {
  if (!validHead(resolve(dir, 'HEAD'))) return null;
  let commonDir = dir;
  let text: string | null = null;
  try {
    text = readFileSync(resolve(dir, 'commondir'), 'utf8');
  } catch {
    // no commondir: the directory is its own common directory
  }
  if (text !== null) {
    const named = text.replace(/[\r\n]+$/, '');
    if (!named) return null;
    commonDir = resolve(dir, named);
  }
  return isDirectory(resolve(commonDir, 'objects')) && isDirectory(resolve(commonDir, 'refs')) ? { gitDir: dir, commonDir } : null;
}

/** refs.c validate_headref(): a symbolic link into refs/, `ref: refs/...`, or an object id. */
function validHead(head: string): boolean {
  try {
    if (lstatSync(head).isSymbolicLink()) return readlinkSync(head).startsWith('refs/');
    const text = readFileSync(head, 'latin1');
    return /^ref:\s*refs\//.test(text) || /^[0-9a-fA-F]{40}/.test(text);
  } catch {
    return false;
  }
}

/** The directory the gitfile at `file` names (read_gitfile_gently()), or null when there is none. */
export function gitfileAt(file: string): string | null {
  let st;
  try {
    st = statSync(file);
  } catch {
    return null;
  }
  return st.isFile() && st.size > 8 ? gitfileTarget(file, st.size) : null;
}

/** The directory a gitfile points to, or null when the file is not one. */
function gitfileTarget(file: string, size: number): string | null {
  if (size > GITFILE_MAX) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  if (!text.startsWith('gitdir: ')) return null;
  const target = text.slice(8).replace(/[\r\n]+$/, '');
  if (!target) return null;
  return isAbsolute(target) ? target : resolve(dirname(file), target);
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

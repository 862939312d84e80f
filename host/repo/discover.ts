// Finding the repository a command runs in, as git's setup.c does for commands
// that need one: $GIT_DIR when set, otherwise the first directory from the
// working directory upwards that has a `.git` (a directory, or a file saying
// `gitdir: <path>`) or is itself a git directory (a bare repository).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface GitDirs {
  /** The repository's own directory (HEAD lives here). */
  gitDir: string;
  /** Where objects and refs live: gitDir, or what its `commondir` names (a linked worktree). */
  commonDir: string;
}

/** git's is_git_directory(): HEAD, and objects/ and refs/ under the common directory. */
function asGitDir(dir: string): GitDirs | null {
  if (!existsSync(join(dir, 'HEAD'))) return null;
  let commonDir = dir;
  const cd = join(dir, 'commondir');
  if (existsSync(cd)) commonDir = resolve(dir, readFileSync(cd, 'utf8').trim());
  if (!existsSync(join(commonDir, 'objects')) || !existsSync(join(commonDir, 'refs'))) return null;
  return { gitDir: dir, commonDir };
}

/** `<dir>/.git` as a directory or a gitfile, or null. */
function dotGitIn(dir: string): GitDirs | null {
  const dotGit = join(dir, '.git');
  let st;
  try {
    st = statSync(dotGit);
  } catch {
    return null;
  }
  if (st.isDirectory()) return asGitDir(dotGit);
  const m = /^gitdir: (.*)$/m.exec(readFileSync(dotGit, 'utf8'));
  return m ? asGitDir(resolve(dir, m[1].trim())) : null;
}

/** The repository for `cwd` (default: the process's), or null when there is none. */
export function discoverGitDir(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): GitDirs | null {
  if (env.GIT_DIR) return asGitDir(resolve(cwd, env.GIT_DIR));
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = dotGitIn(dir) ?? asGitDir(dir);
    if (found) return found;
    if (dirname(dir) === dir) return null;
  }
}

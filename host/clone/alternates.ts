// Borrowing objects from other local repositories, as `git clone --reference`,
// `--reference-if-able`, `--shared` and `--dissociate` do. The new repository's
// objects/info/alternates names their object directories (gitrepository-layout),
// so whatever they hold is read from there; the fetch tells the server that
// the objects their refs name are here already (haves), so it sends only the
// rest; --dissociate then copies the borrowed objects in and drops the file.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CloneError } from '../errors.ts';
import { objectDirs, packFiles, readRefs, resolveRef } from '../transport/local-repo.ts';

/** A repository to borrow objects from; `ifAble`: one that cannot be used is skipped with a notice. */
export interface Reference {
  path: string;
  ifAble?: boolean;
}

const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** A gitfile's target (`gitdir: <path>`, relative to the file's directory), or null when `p` is not one. */
function gitfileTarget(p: string): string | null {
  try {
    if (!statSync(p).isFile()) return null;
    const m = /^gitdir: (.+?)\r?\n?$/.exec(readFileSync(p, 'utf8'));
    return m ? realpathSync(resolve(dirname(p), m[1])) : null;
  } catch {
    return null;
  }
}

/**
 * The git directory of the reference repository at `path` (builtin/clone.c
 * compute_alternate_path): its real path, through a gitfile if it is one or
 * has one, else `<path>/.git` when that holds objects, else `<path>` itself
 * when it does. Throws with git's words when it is none, or is shallow.
 */
function referenceGitDir(path: string, cwd: string): string {
  const abs = resolve(cwd, path);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    // git resolves all but the last component, which may be missing.
    try {
      real = join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      throw new CloneError(`path '${path}' does not exist`, { path });
    }
  }
  let gitDir = gitfileTarget(real) ?? gitfileTarget(join(real, '.git'));
  if (gitDir === null) {
    if (isDirectory(join(real, '.git', 'objects'))) gitDir = join(real, '.git');
    else if (isDirectory(join(real, 'objects'))) gitDir = real;
  }
  if (gitDir === null || !isDirectory(join(gitDir, 'objects'))) {
    throw new CloneError(`reference repository '${path}' is not a local repository.`, { path });
  }
  if (existsSync(join(gitDir, 'shallow'))) throw new CloneError(`reference repository '${path}' is shallow`, { path });
  return gitDir;
}

/**
 * The object directories of `references`, in order, as git adds them
 * (setup_reference): a reference that is not a usable repository fails the
 * clone, or with `ifAble` is reported through `info` and skipped.
 */
export function referenceObjectDirs(references: Reference[], cwd: string, info: (message: string) => void): string[] {
  const dirs: string[] = [];
  for (const ref of references) {
    try {
      dirs.push(`${referenceGitDir(ref.path, cwd)}/objects`);
    } catch (err) {
      if (!ref.ifAble || !(err instanceof CloneError)) throw err;
      info(`info: Could not add alternate for '${ref.path}': ${err.message}\n`);
    }
  }
  return dirs;
}

/** Appends object directories to `gitDir`'s objects/info/alternates (add_to_alternates_file). */
export function addAlternates(gitDir: string, dirs: string[]): void {
  if (!dirs.length) return;
  const file = join(gitDir, 'objects', 'info', 'alternates');
  mkdirSync(dirname(file), { recursive: true });
  const had = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, had + dirs.map((d) => `${d}\n`).join(''));
}

/**
 * The objects the refs of the repositories behind `gitDir`'s alternates name,
 * and those their tags peel to (git's for_each_alternate_ref): what the fetch
 * tells the server it has.
 */
export function alternateHaves(gitDir: string): string[] {
  const out = new Set<string>();
  for (const dir of objectDirs(gitDir).slice(1)) {
    const repo = dirname(dir);
    let refs;
    try {
      refs = readRefs(repo, repo).refs;
    } catch {
      continue; // an object directory with no readable repository around it has no refs to offer
    }
    for (const value of refs.values.values()) {
      const oid = resolveRef(refs.values, value)?.oid;
      if (oid) out.add(oid);
    }
    for (const peeled of refs.peeled.values()) out.add(peeled);
  }
  return [...out];
}

/**
 * --dissociate: the repository stops depending on its alternates. git repacks
 * the reachable objects (`git repack -a -d`); this copies in every pack and
 * loose object of each alternate instead (more than git keeps when they hold
 * unrelated objects, never less), then removes objects/info/alternates.
 * Returns the packs it copied in.
 */
export function dissociate(gitDir: string): string[] {
  const file = join(gitDir, 'objects', 'info', 'alternates');
  if (!existsSync(file)) return [];
  const own = join(gitDir, 'objects');
  const copied: string[] = [];
  for (const dir of objectDirs(gitDir).slice(1)) {
    for (const { pack, idx } of packFiles(dir)) {
      const to = join(own, 'pack', basename(pack));
      if (existsSync(to)) continue;
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(idx, join(own, 'pack', basename(idx)));
      copyFileSync(pack, to);
      copied.push(to);
    }
    for (const fan of readdirSync(dir)) {
      if (!/^[0-9a-f]{2}$/.test(fan) || !isDirectory(join(dir, fan))) continue;
      for (const name of readdirSync(join(dir, fan))) {
        const to = join(own, fan, name);
        if (existsSync(to)) continue;
        mkdirSync(join(own, fan), { recursive: true });
        copyFileSync(join(dir, fan, name), to);
      }
    }
  }
  rmSync(file);
  return copied;
}

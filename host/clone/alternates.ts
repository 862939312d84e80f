// Borrowing objects from other local repositories, as `git clone --reference`,
// `--reference-if-able`, `--shared` and `--dissociate` do. The new repository's
// objects/info/alternates names their object directories (gitrepository-layout),
// so whatever they hold is read from there; the fetch tells the server that
// the objects their refs name are here already (haves), so it sends only the
// rest; --dissociate then copies the borrowed objects in and drops the file.
import { appendFileSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CloneError } from '../errors.ts';
import { objectDirs, packFiles, readRefs, resolveRef } from '../transport/local-repo.ts';
import { gitfileAt, isDirectory } from '../repo/git-dir.ts';
import { compareRefNames } from '../repo/refs.ts';

/** A repository to borrow objects from; `ifAble`: one that cannot be used is skipped with a notice. */
export interface Reference {
  path: string;
  ifAble?: boolean;
}

/** `p`'s real path, or null when it does not resolve. */
function realpathOr(p: string): string | null {
  try {
    return realpathSync(p);
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
  const gitfile = gitfileAt(real) ?? gitfileAt(join(real, '.git'));
  let gitDir = gitfile === null ? null : realpathOr(gitfile);
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
  appendFileSync(file, dirs.map((d) => `${d}\n`).join(''));
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
 * --dissociate: the repository stops depending on its alternates, as git's
 * `git repack -a -d` leaves it. `repack` reads the repository itself (its
 * alternates followed, as a local clone reads a repository) and packs every
 * object its refs reach into one new pack; the packs there before are then
 * removed, and objects/info/alternates. Objects of the alternates that no
 * ref reaches stay behind, as with git. Returns the pack that remains (none
 * when the refs reach nothing).
 */
export async function dissociate(gitDir: string, repack: () => Promise<string | null>): Promise<string[]> {
  const file = join(gitDir, 'objects', 'info', 'alternates');
  if (!existsSync(file)) return [];
  const own = join(gitDir, 'objects');
  const before = packFiles(own);
  const pack = await repack();
  // A partial clone's objects come from its promisor remote: the new pack is one of its packs too (git's
  // repack marks the pack of promisor objects with an empty .promisor file).
  const promisor = (p: string) => p.replace(/\.pack$/, '.promisor');
  if (pack && before.some((b) => existsSync(promisor(b.pack))) && !existsSync(promisor(pack))) writeFileSync(promisor(pack), '');
  for (const old of before) {
    if (old.pack === pack) continue; // the same objects in the same order: the pack is already there
    rmSync(old.idx, { force: true });
    rmSync(old.pack, { force: true });
    for (const ext of ['.rev', '.promisor', '.keep']) rmSync(old.pack.replace(/\.pack$/, ext), { force: true });
  }
  rmSync(file);
  return pack ? [pack] : [];
}

/**
 * What `git repack` leaves beside its pack for dumb-HTTP clients, as
 * --dissociate's repack does (update-server-info): info/refs, each ref with
 * its object (and an annotated tag's peeled object on a `^{}` line), sorted;
 * objects/info/packs, a `P <pack>` line per pack and a blank line.
 * `peel` gives the object a tag points to, or undefined for a non-tag.
 */
export function writeServerInfo(gitDir: string, peel: (oid: string) => string | undefined): void {
  const { refs } = readRefs(gitDir, gitDir);
  const lines: string[] = [];
  for (const name of [...refs.values.keys()].filter((n) => n.startsWith('refs/')).sort(compareRefNames)) {
    const oid = resolveRef(refs.values, refs.values.get(name)!)?.oid;
    if (!oid) continue;
    lines.push(`${oid}\t${name}\n`);
    const peeled = peel(oid);
    if (peeled) lines.push(`${peeled}\t${name}^{}\n`);
  }
  mkdirSync(join(gitDir, 'info'), { recursive: true });
  writeFileSync(join(gitDir, 'info', 'refs'), lines.join(''));
  const packs = readdirSync(join(gitDir, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).sort();
  mkdirSync(join(gitDir, 'objects', 'info'), { recursive: true });
  writeFileSync(join(gitDir, 'objects', 'info', 'packs'), packs.map((p) => `P ${p}\n`).join('') + '\n');
}

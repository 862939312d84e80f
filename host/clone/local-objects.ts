// `git clone /path`'s local optimisation (builtin/clone.c clone_local(),
// copy_or_link_directory()): the source's objects/ directory is hardlinked
// into the new repository, file by file, or copied where a link cannot be
// made (another filesystem, a filesystem without links) or with
// --no-hardlinks. Nothing is read or indexed: the packs and their .idx files
// are the source's own, as git trusts them too. Files whose names begin with
// a dot are left out, as git leaves them out. The source's alternates become
// the clone's (copy_alternates()): each line made absolute, relative ones
// taken from the source's objects directory.
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, opendirSync, readSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { CloneError, systemErrorReason } from '../errors.ts';
import { findGitDir } from '../repo/git-dir.ts';
import { alternatesOf, packFiles } from '../transport/local-repo.ts';

/** The source's objects directory, or null when the path leads to no repository. */
export function linkableObjects(sourcePath: string): string | null {
  const found = findGitDir(sourcePath);
  return found ? join(found.commonDir, 'objects') : null;
}

/**
 * Links (or copies) every file under `from` (an objects directory) into
 * `gitDir`/objects. `hardlinks` false: copy everything (--no-hardlinks);
 * `mustLink` (an explicit --local): a link that fails is an error, as git
 * makes it. Returns the packs now there.
 */
export function linkObjects(from: string, gitDir: string, o: { hardlinks: boolean; mustLink: boolean }): string[] {
  const to = join(gitDir, 'objects');
  let link = o.hardlinks;
  const walk = (src: string, dst: string) => {
    mkdirSync(dst, { recursive: true });
    for (const name of inDirectoryOrder(src)) {
      if (name.startsWith('.')) continue;
      const s = join(src, name);
      const d = join(dst, name);
      const st = lstatSync(s);
      // A link could make the clone take (or expose) files outside the source (CVE-2023-22490): git refuses.
      if (st.isSymbolicLink()) throw new CloneError(`symlink '${relative(from, s)}' exists, refusing to clone with --local`, { path: s });
      if (st.isDirectory()) {
        walk(s, d);
        continue;
      }
      if (!st.isFile() || (src === join(from, 'info') && name === 'alternates')) continue;
      if (link) {
        try {
          linkSync(s, d);
          continue;
        } catch (err) {
          if (o.mustLink) throw new CloneError(`failed to create link '${d}': ${systemErrorReason(err) ?? (err as Error).message}`, { path: d, cause: err });
          // As git: once a link fails, the rest is copied.
          link = false;
        }
      }
      copyFile(s, d, st);
    }
  };
  walk(from, to);
  // Each directory once (add_to_alternates_file() skips one already listed).
  const dirs = new Set(alternatesOf(from).map((d) => normalize(d)));
  if (dirs.size) {
    mkdirSync(join(to, 'info'), { recursive: true });
    writeFileSync(join(to, 'info', 'alternates'), [...dirs].map((d) => `${d}\n`).join(''));
  }
  return packFiles(to).map((p) => p.pack);
}

/**
 * A copy as git's copy_file_with_time() makes it: a new file of mode 0666
 * less the umask (not the source's read-only mode), with the source's access
 * and modification times in whole seconds (utime()).
 */
function copyFile(src: string, dst: string, st: import('node:fs').Stats): void {
  const from = openSync(src, 'r');
  try {
    const to = openSync(dst, 'wx', 0o666);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let pos = 0; ; ) {
        const n = readSync(from, buf, 0, buf.length, pos);
        if (n === 0) break;
        for (let done = 0; done < n; ) done += writeSync(to, buf, done, n - done);
        pos += n;
      }
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
  utimesSync(dst, Math.floor(st.atimeMs / 1000), Math.floor(st.mtimeMs / 1000));
}

/** The names in directory `dir` in the order the filesystem gives them, as git's readdir() walk meets them. */
function inDirectoryOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const names: string[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) names.push(e.name);
  } finally {
    d.closeSync();
  }
  return names;
}

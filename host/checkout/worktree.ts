// Writing the work tree: directories, files with their executable bit,
// symbolic links and gitlinks, without ever following a link.
//
// Paths arrive as bytes already checked by the core (no `..`, `.git`, `/` or
// empty components), so joined under the root they stay inside it. What is
// left to guard here is the filesystem itself: a directory that turns out to
// be a symbolic link (on a case-insensitive filesystem `A` and `a` are one
// name), or a name that already exists. So every directory is created one
// level at a time and checked with lstat(), every file is created with
// O_EXCL | O_NOFOLLOW, and no path may pass through a symbolic link written by
// this checkout (git's has_symlink_leading_path() check in checkout_entry()).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, statSync, symlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { UnsafePathError, displayPath } from '../core/tree.ts';

const SLASH = Buffer.from('/');
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class WorkTree {
  private readonly root: Buffer;
  /** Directories this checkout made or found to be real directories (latin1 keys of the path bytes). */
  private readonly dirs = new Set<string>();
  private readonly links = new Set<string>();

  constructor(root: string) {
    this.root = Buffer.from(root.replace(/\/+$/, '') || '/');
    mkdirSync(root, { recursive: true });
    // The root is the user's choice and may be reached through a symbolic link
    // (git follows it too); only paths this checkout creates are never followed.
    if (!statSync(root).isDirectory()) throw new Error(`work tree '${root}' is not a directory`);
  }

  private full(rel: Buffer): Buffer {
    return Buffer.concat([this.root, SLASH, rel]);
  }

  /**
   * Refuses a path whose parent is not a directory made (or checked) by this
   * checkout. `parentMade`: the caller knows its parent came through mkdir(),
   * which checked every directory above it, so only links written since matter.
   */
  checkParents(rel: Buffer, parentMade = false): void {
    if (parentMade && this.links.size === 0) return;
    let i = rel.indexOf(0x2f);
    while (i >= 0) {
      const key = rel.toString('latin1', 0, i);
      if (this.links.has(key)) {
        throw new UnsafePathError(displayPath(rel), `it runs through the symbolic link '${displayPath(rel.subarray(0, i))}' written earlier in this checkout`);
      }
      if (!this.dirs.has(key)) {
        throw new UnsafePathError(displayPath(rel), `its leading directory '${displayPath(rel.subarray(0, i))}' was not created by this checkout`);
      }
      i = rel.indexOf(0x2f, i + 1);
    }
  }

  /** Creates directory `rel` (its parent first). An existing real directory is accepted. */
  mkdir(rel: Buffer, mayHoldEntries = true): void {
    this.checkParents(rel);
    const path = this.full(rel);
    try {
      mkdirSync(path, 0o777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) throw new UnsafePathError(displayPath(rel), 'a symbolic link is in the way of this directory');
      if (!st.isDirectory()) throw new UnsafePathError(displayPath(rel), 'a file is in the way of this directory');
    }
    if (mayHoldEntries) this.dirs.add(rel.toString('latin1'));
  }

  /** Writes a regular file (mode 0666 or 0777 before the umask, as git does) and returns its stat data. */
  writeFile(rel: Buffer, data: Uint8Array, executable: boolean): BigIntStats {
    this.checkParents(rel);
    const fd = this.create(rel, executable ? 0o777 : 0o666);
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done);
      // Stat before close, as git's checkout does: nothing later changes it.
      return fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
  }

  private create(rel: Buffer, mode: number): number {
    try {
      return openSync(this.full(rel), CREATE, mode);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UnsafePathError(displayPath(rel), 'something already exists at this path');
      if (code === 'ELOOP') throw new UnsafePathError(displayPath(rel), 'a symbolic link is in the way of this file');
      throw err;
    }
  }

  /**
   * The checks symlink() makes before creating the link, for a link another
   * thread creates (writer.ts): later paths may not run through it.
   */
  claimSymlink(rel: Buffer, target: Uint8Array): void {
    this.checkParents(rel);
    if (target.includes(0)) throw new UnsafePathError(displayPath(rel), 'symbolic link target contains a NUL byte');
    this.links.add(rel.toString('latin1'));
  }

  /** Creates a symbolic link to `target` (the blob's bytes) and returns its lstat data. */
  symlink(rel: Buffer, target: Uint8Array): BigIntStats {
    this.checkParents(rel);
    if (target.includes(0)) throw new UnsafePathError(displayPath(rel), 'symbolic link target contains a NUL byte');
    const path = this.full(rel);
    try {
      symlinkSync(Buffer.from(target), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UnsafePathError(displayPath(rel), 'something already exists at this path');
      throw err;
    }
    this.links.add(rel.toString('latin1'));
    return lstatSync(path, { bigint: true });
  }

  /** A submodule's place: an empty directory, whose lstat data git keeps in the index. */
  gitlink(rel: Buffer): BigIntStats {
    this.mkdir(rel, false);
    return lstatSync(this.full(rel), { bigint: true });
  }
}

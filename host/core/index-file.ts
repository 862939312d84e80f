// Building .git/index (version 2, or 3 with skip-worktree entries) through the core (assembly/index-file.ts).
import type { BigIntStats } from 'node:fs';
import type { Core } from './instance.ts';
import { CoreError } from './instance.ts';
import { E_PATH, UnsafePathError, displayPath } from './tree.ts';

const RECORD = 72;
const TREE_RECORD = 40;

/** What git keeps of lstat() per entry, each truncated to 32 bits as the index stores it. */
export interface StatData {
  ctimeSec: number;
  ctimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  size: number;
}

export interface IndexEntry {
  path: Buffer;
  /** 0o100644, 0o100755, 0o120000 or 0o160000. */
  mode: number;
  /** 20-byte object id. */
  id: Uint8Array;
  /** Its stat data; none for an entry whose data is in buildIndexFile's `stats` (or zero). */
  stat?: StatData;
  /**
   * Left out of the work tree by a sparse checkout (CE_SKIP_WORKTREE): git
   * stores the extended flag, which makes the file index version 3.
   */
  skipWorktree?: boolean;
}

/** One node of the cache tree (the TREE extension), given in the order git writes them. */
export interface CacheTreeNode {
  /** The directory's own name (empty for the root). */
  name: Buffer;
  /** Index entries below this directory, or -1 when its tree id is not known to match. */
  entryCount: number;
  subtreeCount: number;
  /** 20-byte tree id; ignored when entryCount is -1. */
  id?: Uint8Array;
}

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/** StatData from `fs.*statSync(..., { bigint: true })`, whose nanoseconds git keeps. */
export function statData(st: BigIntStats): StatData {
  return {
    ctimeSec: u32(st.ctimeNs / 1000000000n),
    ctimeNsec: u32(st.ctimeNs % 1000000000n),
    mtimeSec: u32(st.mtimeNs / 1000000000n),
    mtimeNsec: u32(st.mtimeNs % 1000000000n),
    dev: u32(st.dev),
    ino: u32(st.ino),
    uid: u32(st.uid),
    gid: u32(st.gid),
    size: u32(st.size),
  };
}

export const ZERO_STAT: StatData = { ctimeSec: 0, ctimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, dev: 0, ino: 0, uid: 0, gid: 0, size: 0 };

/**
 * Returns the bytes of an index file holding `entries` (sorted by the core) and
 * the cache tree `trees`. Entry i's stat data is its `stat`, or else 9 words at
 * stats[i * 9] (ctime s/ns, mtime s/ns, dev, ino, uid, gid, size), or zero.
 */
export function buildIndexFile(core: Core, entries: IndexEntry[], trees: CacheTreeNode[] = [], stats?: Uint32Array): Uint8Array {
  let pathBytes = 0;
  for (const en of entries) pathBytes += en.path.length;
  for (const t of trees) pathBytes += t.name.length;
  const paths = core.alloc(Math.max(pathBytes, 1));
  const records = core.alloc(Math.max(entries.length * RECORD, 1));
  const treeRecords = core.alloc(Math.max(trees.length * TREE_RECORD, 1));
  const mem = core.bytes();
  const dv = new DataView(mem.buffer);
  let p = paths;
  for (let i = 0; i < entries.length; i++) {
    const en = entries[i];
    const r = records + i * RECORD;
    const s = en.stat ?? (stats ? null : ZERO_STAT);
    if (s) {
      dv.setUint32(r, s.ctimeSec, true);
      dv.setUint32(r + 4, s.ctimeNsec, true);
      dv.setUint32(r + 8, s.mtimeSec, true);
      dv.setUint32(r + 12, s.mtimeNsec, true);
      dv.setUint32(r + 16, s.dev, true);
      dv.setUint32(r + 20, s.ino, true);
      dv.setUint32(r + 28, s.uid, true);
      dv.setUint32(r + 32, s.gid, true);
      dv.setUint32(r + 36, s.size, true);
    } else {
      const k = i * 9;
      for (let j = 0; j < 6; j++) dv.setUint32(r + j * 4, stats![k + j], true);
      for (let j = 6; j < 9; j++) dv.setUint32(r + 4 + j * 4, stats![k + j], true);
    }
    dv.setUint32(r + 24, en.mode, true);
    mem.set(en.id, r + 40);
    dv.setUint32(r + 60, p, true);
    dv.setUint32(r + 64, en.path.length, true);
    dv.setUint32(r + 68, en.skipWorktree ? 1 : 0, true);
    mem.set(en.path, p);
    p += en.path.length;
  }
  for (let i = 0; i < trees.length; i++) {
    const t = trees[i];
    const r = treeRecords + i * TREE_RECORD;
    dv.setUint32(r, p, true);
    dv.setUint32(r + 4, t.name.length, true);
    dv.setInt32(r + 8, t.entryCount, true);
    dv.setUint32(r + 12, t.subtreeCount, true);
    mem.fill(0, r + 16, r + 40);
    if (t.id && t.entryCount >= 0) mem.set(t.id, r + 16);
    mem.set(t.name, p);
    p += t.name.length;
  }
  const n = core.exports.indexBuild(records, entries.length, treeRecords, trees.length);
  if (n < 0) {
    const err = core.lastError(n);
    if (n === E_PATH && err.offset !== undefined && entries[err.offset]) {
      throw new UnsafePathError(displayPath(entries[err.offset].path), err.message);
    }
    throw new CoreError(`building the index: ${err.message}`, err.code, err.offset);
  }
  return core.bytes(core.exports.indexFilePtr(), n).slice();
}

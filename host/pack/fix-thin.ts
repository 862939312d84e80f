// git index-pack --fix-thin: a thin pack's REF deltas may name bases the pack
// does not hold (the receiver has them). After pass 2 those bases are looked up
// in the repository and appended to the pack as whole objects, as git's
// append_obj_to_pack() writes them, and the pack gets its new object count and
// trailer. The order, the compression and the resolving are the core's
// (assembly/pack/thin.ts, assembly/deflate.ts); this side finds objects and
// writes bytes.
import { writeSync, ftruncateSync, fsyncSync } from 'node:fs';
import type { PackCore } from '../core/pack.ts';
import { entryHeader } from './entry-header.ts';
import { builtin } from '../builtins.ts';

/** An object from the repository: type 1-4 (commit, tree, blob, tag) and content. */
export interface LocalObject {
  type: number;
  data: Uint8Array;
}

export interface FixThinOptions {
  /** Finds an object by id (40 hex digits) in the repository; null when it has none. */
  lookup(id: string): Promise<LocalObject | null> | LocalObject | null;
  /**
   * zlib level for appended objects (git: core.loosecompression, else
   * core.compression, else 1). Levels 1-3 give git's bytes exactly; others are
   * compressed by node:zlib, valid but not byte-identical to git's.
   */
  level?: number;
}


/** The entry git appends for `obj`: built in the core at levels 1-3, else with node:zlib. */
function entryFor(pc: PackCore, obj: LocalObject, level: number): Uint8Array {
  if (level >= 1 && level <= 3) return pc.thinEntry(obj.type, obj.data, level);
  const header = entryHeader(obj.type, obj.data.length);
  const z = builtin.zlib().deflateSync(obj.data, { level });
  const entry = new Uint8Array(header.length + z.length);
  entry.set(header);
  entry.set(z, header.length);
  return entry;
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position + off);
}

/**
 * Completes the pack open for writing at `fd` (pass 2 done, reading it through
 * the core's source). Returns the number of objects appended (0: the pack was
 * not thin, and is left untouched) and the deltas they resolved; reports the
 * deltas still unresolved after each. Deltas whose base the repository lacks
 * stay unresolved: the caller's resolveCheck() names them.
 */
export async function fixThinPack(pc: PackCore, fd: number, opts: FixThinOptions, onProgress?: (unresolved: number) => void): Promise<{ appended: number; resolved: number }> {
  const unresolved = pc.thinBegin();
  if (unresolved === 0) return { appended: 0, resolved: 0 };
  const level = opts.level ?? 1;
  let end = pc.scannedBytes - 20; // the old trailer's offset: the first appended entry goes there
  let appended = 0;
  let resolved = 0;
  for (let next = pc.thinNext(0); next; next = pc.thinNext(next.entry + 1)) {
    const obj = await opts.lookup(Buffer.from(next.baseId).toString('hex'));
    if (!obj) continue;
    const entry = entryFor(pc, obj, level);
    writeAt(fd, entry, end);
    resolved += pc.thinAppend(obj.type, obj.data, entry, next.baseId);
    end += entry.length;
    appended++;
    onProgress?.(unresolved - resolved);
  }
  if (appended === 0) return { appended, resolved };
  pc.thinEnd();
  const count = Buffer.alloc(4);
  count.writeUInt32BE(pc.count);
  writeAt(fd, count, 8);
  writeAt(fd, pc.checksum(), end);
  ftruncateSync(fd, end + 20);
  fsyncSync(fd);
  return { appended, resolved };
}

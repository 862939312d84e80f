// Reading objects by id from packs, through the core (assembly/pack/read.ts).
//
// The .idx is read into the core's memory with ordinary reads; the pack is
// opened and read with positioned reads only when the core asks (host.readAt),
// never mapped. One ObjectStore drives one core: the core keeps a single set of
// registered packs.
// node:fs only for packs given by path, and only when one is: wasmgit/core
// exports this file and must stay importable in browsers, so nothing Node-only
// is imported at top level (Node, Bun and Deno all have getBuiltinModule).
function nodeFs(): typeof import('node:fs') {
  const get = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule;
  if (!get) throw new TypeError('wasmgit: packs given by path need node:fs; in this runtime pass { pack: Source & { size }, idx: Uint8Array }');
  return get('node:fs') as typeof import('node:fs');
}
import type { Core, Source } from './instance.ts';
import { CoreError } from './instance.ts';
import { inflate } from './inflate.ts';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** The header lines of a commit or tag (`tree …`, `parent …`, `object …`): those before the first empty line. */
export function headerLines(data: Uint8Array): string[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end)).split('\n');
}
const TYPES: ObjectType[] = ['commit', 'tree', 'blob', 'tag'];

/** A pack and its .idx: paths on disk, or bytes and a reader for hosts without a filesystem. */
export interface PackHandle {
  /** Path of the .pack, or a source of its bytes with its size. */
  pack: string | (Source & { size: number });
  /** Path of the .idx (version 2), or its bytes. */
  idx: string | Uint8Array;
}

/** A pack entry's header, as packEntryHeader() parses it (gitformat-pack, "Object entries"). */
export interface EntryHeader {
  /** 1-4 (commit, tree, blob, tag), 6 OFS_DELTA, 7 REF_DELTA. */
  type: number;
  /** Size in the header: the object's, or for a delta its delta data's. */
  size: number;
  /** Bytes before the entry's zlib stream. */
  headerLen: number;
  /** OFS_DELTA: the pack offset of its base. */
  baseOffset?: number;
  /** REF_DELTA: its base's id. */
  baseId?: Uint8Array;
}

/** An object's id was not found in any pack. */
export class MissingObjectError extends Error {
  constructor(readonly oid: string) {
    super(`object ${oid} not found in any pack`);
    this.name = 'MissingObjectError';
  }
}

export class ObjectStore {
  private readonly fds: number[] = [];
  private readonly sourceIds: number[] = [];
  private readonly idBuf: number;
  /** A view of idBuf, made again when memory.grow replaces the buffer. */
  private idView: Uint8Array | null = null;
  /** Id length in bytes: 20 (SHA-1) or 32 (SHA-256). */
  readonly hashLen: number;
  private readonly hexRe: RegExp;
  private closed = false;
  /** Object directories whose loose objects are read when no pack has an id (a repository's own, its alternates'). */
  private looseDirs: string[] = [];
  /** A number per loose object located, so each sorts apart (after every pack) and is read on its own. */
  private readonly looseSlots = new Map<string, number>();
  /** Where a loose object's bytes are put in the core's memory (grown as needed; the core does not free). */
  private looseBuf = 0;
  private looseCap = 0;

  private constructor(
    readonly core: Core,
    objectFormat: 'sha1' | 'sha256',
  ) {
    this.hashLen = objectFormat === 'sha256' ? 32 : 20;
    this.hexRe = new RegExp(`^[0-9a-f]{${this.hashLen * 2}}$`);
    this.idBuf = core.alloc(this.hashLen);
  }

  /**
   * Registers `packs` with `core` (replacing any it had); pack number i (for
   * entryHeader) is packs[i]. Pack files stay open until close(). The packs'
   * object format is SHA-1 unless `objectFormat` says 'sha256'.
   */
  static open(core: Core, packs: PackHandle[], opts: { cacheBytes?: number; objectFormat?: 'sha1' | 'sha256'; looseDirs?: string[] } = {}): ObjectStore {
    const store = new ObjectStore(core, opts.objectFormat ?? 'sha1');
    store.looseDirs = opts.looseDirs ?? [];
    const e = core.exports;
    e.objectsReset();
    core.check(e.objectIdSize(store.hashLen));
    if (opts.cacheBytes !== undefined) e.objectCacheSize(opts.cacheBytes);
    try {
      for (const h of packs) store.add(h);
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  private add(h: PackHandle): void {
    const core = this.core;
    let source: Source;
    let size: number;
    let name: string;
    if (typeof h.pack === 'string') {
      const fs = nodeFs();
      const fd = fs.openSync(h.pack, 'r');
      this.fds.push(fd);
      size = fs.fstatSync(fd).size;
      source = { readAt: (offset, dst) => readAll(fs, fd, dst, offset) };
      name = h.pack;
    } else {
      source = h.pack;
      size = h.pack.size;
      name = '(pack)';
    }
    const idx = typeof h.idx === 'string' ? nodeFs().readFileSync(h.idx) : h.idx;
    const ptr = core.alloc(idx.length);
    core.bytes(ptr, idx.length).set(idx);
    const id = core.addSource(source);
    this.sourceIds.push(id);
    const st = core.exports.packAdd(id, ptr, idx.length, BigInt(size));
    if (st < 0) {
      const err = core.lastError(st);
      throw new CoreError(`${name}: ${err.message}`, err.code, err.offset);
    }
  }

  /** Puts an id (hex digits, or bytes: 20 of them, or 32 for SHA-256) where the core reads it. */
  private putId(oid: string | Uint8Array): void {
    const mem = this.core.exports.memory.buffer;
    if (this.idView?.buffer !== mem) this.idView = new Uint8Array(mem, this.idBuf, this.hashLen);
    const b = this.idView;
    if (typeof oid !== 'string') {
      if (oid.length !== this.hashLen) throw new TypeError(`object id of ${oid.length} bytes, not ${this.hashLen}`);
      b.set(oid);
      return;
    }
    if (!this.hexRe.test(oid)) throw new TypeError(`not a full object id: '${oid}'`);
    b.set(Buffer.from(oid, 'hex'));
  }

  /**
   * (pack number, offset) of `oid` as one sortable number, or -1. Reading in
   * this order walks each pack forward; loose objects come after every pack.
   */
  locate(oid: string | Uint8Array): number {
    this.putId(oid);
    const at = Number(this.core.exports.objectLocate(this.idBuf));
    if (at >= 0 || !this.looseDirs.length) return at;
    const hex = typeof oid === 'string' ? oid : Buffer.from(oid).toString('hex');
    if (this.loosePath(hex) === null) return -1;
    let slot = this.looseSlots.get(hex);
    if (slot === undefined) this.looseSlots.set(hex, (slot = this.looseSlots.size));
    // Above any (pack << 48 | offset) of the packs registered.
    return 2 ** 52 + slot;
  }

  /** The file of loose object `hex` in the first object directory that has it, or null. */
  private loosePath(hex: string): string | null {
    if (!this.looseDirs.length) return null;
    const fs = nodeFs();
    for (const dir of this.looseDirs) {
      const path = `${dir}/${hex.slice(0, 2)}/${hex.slice(2)}`;
      if (fs.existsSync(path)) return path;
    }
    return null;
  }

  /**
   * A loose object (gitformat-loose: zlib of "<type> <size>\0<content>"),
   * inflated by the core and left in its memory like an object read from a pack.
   */
  private viewLoose(path: string): { type: ObjectType; data: Uint8Array } {
    let all: Uint8Array;
    try {
      all = inflate(this.core, nodeFs().readFileSync(path)).output;
    } catch (err) {
      if (err instanceof CoreError) throw new CoreError(`${path}: ${err.message}`, err.code);
      throw err;
    }
    const nul = all.indexOf(0);
    const header = Buffer.from(all.buffer, all.byteOffset, Math.max(0, nul)).toString('latin1');
    const m = /^(commit|tree|blob|tag) (0|[1-9][0-9]*)$/.exec(header);
    const size = all.length - nul - 1;
    if (nul < 0 || !m || Number(m[2]) !== size) throw new CoreError(`${path}: bad loose object header '${header.slice(0, 40)}'`, -1);
    if (size > this.looseCap) {
      this.looseCap = Math.max(size, this.looseCap * 2, 4096);
      this.looseBuf = this.core.alloc(this.looseCap);
    }
    const view = this.core.bytes(this.looseBuf, size);
    view.set(all.subarray(nul + 1));
    return { type: m[1] as ObjectType, data: view };
  }

  /** Pack number and offset of the entry holding `oid`, or null when no pack has it. */
  entryOf(oid: string | Uint8Array): { pack: number; offset: number } | null {
    this.putId(oid);
    const at = BigInt(this.core.exports.objectLocate(this.idBuf));
    if (at < 0n) return null;
    return { pack: Number(at >> 48n), offset: Number(at & 0xffffffffffffn) };
  }

  has(oid: string | Uint8Array): boolean {
    return this.locate(oid) >= 0;
  }

  /**
   * Reads `oid` and returns its bytes as a view of the core's memory, valid
   * only until the next call into the core: write it out or copy it first.
   */
  view(oid: string | Uint8Array): { type: ObjectType; data: Uint8Array } {
    this.putId(oid);
    const e = this.core.exports;
    const t = e.objectRead(this.idBuf);
    if (t === 0) {
      const hex = typeof oid === 'string' ? oid : Buffer.from(oid).toString('hex');
      const loose = this.loosePath(hex);
      if (loose !== null) return this.viewLoose(loose);
      throw new MissingObjectError(hex);
    }
    if (t < 0) throw this.core.lastError(t);
    return { type: TYPES[t - 1], data: this.core.bytes(e.objectDataPtr(), e.objectDataLen()) };
  }

  /** Reads `oid` into a fresh buffer. */
  read(oid: string | Uint8Array): { type: ObjectType; data: Uint8Array } {
    const { type, data } = this.view(oid);
    return { type, data: data.slice() };
  }

  /** The header of the entry at `offset` of pack number `pack`, without reading its data (any size). */
  entryHeader(pack: number, offset: number): EntryHeader {
    const e = this.core.exports;
    const len = e.packEntryHeader(pack, BigInt(offset));
    if (len < 0) throw this.core.lastError(len);
    const type = e.packEntryType();
    const h: EntryHeader = { type, size: Number(e.packEntrySize()), headerLen: len };
    if (type === 6) h.baseOffset = Number(e.packEntryBaseOffset());
    else if (type === 7) h.baseId = this.core.bytes(e.packEntryBaseId(), this.hashLen).slice();
    return h;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.sourceIds) this.core.removeSource(id);
    for (const fd of this.fds) nodeFs().closeSync(fd);
    this.core.exports.objectsReset();
  }
}

/** Positioned read that fills `dst` unless the file ends first (readSync may return short counts). */
function readAll(fs: typeof import('node:fs'), fd: number, dst: Uint8Array, offset: number): number {
  let done = 0;
  while (done < dst.length) {
    const n = fs.readSync(fd, dst, done, dst.length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

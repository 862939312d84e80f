// Typed access to the core's pack indexing (assembly/pack/): one PackCore per
// pack, on a core instance of its own. This layer copies bytes in and out and
// names the steps; the pack format itself is handled in the core.
import { Core, CoreError, type Source } from './instance.ts';

/** Progress kinds the core reports (assembly/host.ts). */
export const PROGRESS_INDEXING = 1;
export const PROGRESS_RESOLVING = 2;

/** Bytes in one merge record (assembly/pack/resolve.ts RECORD). */
export const RECORD_BYTES = 36;

/** Object types as stored in pack entries. */
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;
export const TYPE_NAMES = ['', 'commit', 'tree', 'blob', 'tag'];

/**
 * A read-only view of the entry table (layout in assembly/pack/table.ts). The
 * arrays are copies, so they stay valid whatever the core does next.
 */
export interface EntryTable {
  count: number;
  offsets: BigUint64Array; // count + 1: the last is the trailer's offset
  sizes: BigUint64Array;
  results: BigUint64Array;
  crcs: Uint32Array;
  bases: Uint32Array;
  depths: Uint32Array;
  ids: Uint8Array; // 20 * count
  types: Uint8Array;
  kinds: Uint8Array;
}

export const NO_ENTRY = 0xffffffff;

function tableViews(bytes: Uint8Array, n: number): EntryTable {
  const buf = bytes.buffer;
  let p = bytes.byteOffset;
  const take = <T>(make: (b: ArrayBufferLike, o: number, len: number) => T, elems: number, width: number): T => {
    const v = make(buf, p, elems);
    p += elems * width;
    return v;
  };
  const offsets = take((b, o, l) => new BigUint64Array(b, o, l), n + 1, 8);
  const sizes = take((b, o, l) => new BigUint64Array(b, o, l), n, 8);
  const results = take((b, o, l) => new BigUint64Array(b, o, l), n, 8);
  const crcs = take((b, o, l) => new Uint32Array(b, o, l), n, 4);
  const bases = take((b, o, l) => new Uint32Array(b, o, l), n, 4);
  const depths = take((b, o, l) => new Uint32Array(b, o, l), n, 4);
  const ids = take((b, o, l) => new Uint8Array(b, o, l), n * 20, 1);
  const types = take((b, o, l) => new Uint8Array(b, o, l), n, 1);
  const kinds = take((b, o, l) => new Uint8Array(b, o, l), n, 1);
  return { count: n, offsets, sizes, results, crcs, bases, depths, ids, types, kinds };
}

export class PackCore {
  private source = 0;

  constructor(readonly core: Core) {}

  /**
   * Starts pass 1. `totalSize` (the pack's length, when known) lets absurd
   * headers be refused early; `deltaStoreLimit` bounds the inflated deltas kept
   * for pass 2 (default 64 MiB; 0 keeps none).
   */
  scanBegin(totalSize?: number, deltaStoreLimit?: number): void {
    const all = 0xffffffffffffffffn;
    this.core.check(this.core.exports.packScanBegin(totalSize === undefined ? all : BigInt(totalSize), deltaStoreLimit === undefined ? all : BigInt(deltaStoreLimit)));
  }

  /** Feeds pack bytes to pass 1. */
  scanPush(chunk: Uint8Array): void {
    const e = this.core.exports;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(e.packScanSpace(), chunk.length - off);
      this.core.bytes(e.packScanWindow(), n).set(chunk.subarray(off, off + n));
      this.core.check(e.packScanPush(n));
      off += n;
    }
  }

  /**
   * Feeds pass 1 straight from a positioned reader, `fill(dst, position)`
   * copying into the core's window (no intermediate buffer). Returns bytes fed.
   */
  scanFrom(fill: (dst: Uint8Array, position: number) => number): number {
    const e = this.core.exports;
    let pos = 0;
    for (;;) {
      const space = e.packScanSpace();
      const n = fill(this.core.bytes(e.packScanWindow(), space), pos);
      if (n === 0) return pos;
      pos += n;
      this.core.check(e.packScanPush(n));
    }
  }

  /** Ends pass 1: checks trailer and object count. Returns the object count. */
  scanEnd(): number {
    return this.core.check(this.core.exports.packScanEnd());
  }

  /** The pack's trailer checksum (valid after scanEnd). */
  checksum(): Uint8Array {
    return this.core.bytes(this.core.exports.packChecksumPtr(), 20).slice();
  }

  get count(): number {
    return this.core.exports.packTableCount();
  }

  /** A copy of the raw entry table, to hand to another instance. */
  tableBytes(): Uint8Array {
    const e = this.core.exports;
    return this.core.bytes(e.packTablePtr(), e.packTableBytes()).slice();
  }

  /** Installs a table copied from another instance (a worker's start). */
  loadTable(bytes: Uint8Array, n: number): void {
    this.core.bytes(this.tableAlloc(n), bytes.length).set(bytes);
  }

  /** Length in bytes of the raw entry table. */
  get tableLength(): number {
    return this.core.exports.packTableBytes();
  }

  /** A view of `len` bytes of the raw entry table from `offset` (valid until the core's memory grows). */
  tableView(offset: number, len: number): Uint8Array {
    return this.core.bytes(this.core.exports.packTablePtr() + offset, len);
  }

  /** Lays out an empty table of `n` rows for a copy arriving in pieces; returns where its bytes go. */
  tableAlloc(n: number): number {
    const p = this.core.exports.packTableAlloc(n);
    if (p < 0 || p === 0) throw this.core.lastError(p);
    return p;
  }

  /** A copy of the table, as typed arrays. */
  table(): EntryTable {
    return tableViews(this.tableBytes(), this.count);
  }

  /**
   * Prepares pass 2: `src` serves the pack's bytes; `cacheLimit` is the budget
   * for delta bases kept in memory, `memoryLimit` a cap on the instance's whole
   * memory. Returns the number of deltas.
   */
  resolveBegin(src: Source, opts: { cacheLimit?: number; memoryLimit?: number; record?: boolean } = {}): number {
    this.source = this.core.addSource(src);
    const e = this.core.exports;
    return this.core.check(e.packResolveBegin(this.source, BigInt(opts.cacheLimit ?? 0), BigInt(opts.memoryLimit ?? 0), opts.record ? 1 : 0));
  }

  /** Roots with children, in pack order, and their weights (for splitting the work). */
  roots(): { entries: Uint32Array; weights: Uint32Array } {
    const e = this.core.exports;
    const k = this.core.check(e.packRootsBuild());
    const pairs = new Uint32Array(this.core.bytes(e.packRootsPtr(), k * 8).slice().buffer);
    const entries = new Uint32Array(k);
    const weights = new Uint32Array(k);
    for (let i = 0; i < k; i++) {
      entries[i] = pairs[2 * i];
      weights[i] = pairs[2 * i + 1];
    }
    return { entries, weights };
  }

  private listBuf = 0;
  private listCap = 0;

  private putList(roots: Uint32Array): void {
    if (roots.length > this.listCap) {
      this.listCap = Math.max(roots.length, 1024);
      this.listBuf = this.core.alloc(this.listCap * 4);
    }
    this.core.bytes(this.listBuf, roots.length * 4).set(new Uint8Array(roots.buffer, roots.byteOffset, roots.byteLength));
  }

  /**
   * Resolves the trees of the given roots; `store` holds their stored deltas
   * (from another instance's gatherStore). Returns the number of deltas resolved.
   */
  resolveList(roots: Uint32Array, store?: Uint8Array): number {
    const e = this.core.exports;
    this.putList(roots);
    if (!store || store.length === 0) return this.core.check(e.packResolveList(this.listBuf, roots.length));
    // The records are the last allocation, so freeing them afterwards gives the memory back.
    const p = this.core.alloc(store.length);
    this.core.bytes(p, store.length).set(store);
    try {
      this.core.check(e.packStoreLoad(p, store.length));
      return this.core.check(e.packResolveList(this.listBuf, roots.length));
    } finally {
      e.packStoreUnload(p, store.length);
      e.free(p);
    }
  }

  /** The stored deltas of these roots' trees, for a worker resolving them (copied out). */
  gatherStore(roots: Uint32Array): Uint8Array {
    const e = this.core.exports;
    this.putList(roots);
    const len = this.core.check(e.packStoreGather(this.listBuf, roots.length));
    return this.core.bytes(e.packStoreGatherPtr(), len).slice();
  }

  /** Resolves every delta in this instance. */
  resolveAll(): number {
    return this.core.check(this.core.exports.packResolveAll());
  }

  /** Resolves trees from where the last step stopped, at least `budget` deltas; true while trees remain. */
  resolveSome(budget: number): boolean {
    return this.core.check(this.core.exports.packResolveSome(budget)) === 1;
  }

  /** What the last resolveList() resolved, as merge records (copied out). */
  records(): Uint8Array {
    const e = this.core.exports;
    return this.core.bytes(e.packRecordsPtr(), e.packRecordsCount() * RECORD_BYTES).slice();
  }

  private mergeBuf = 0;
  private mergeCap = 0;

  /** Takes in records another instance produced. */
  mergeRecords(records: Uint8Array): void {
    if (records.length === 0) return;
    if (records.length > this.mergeCap) {
      this.mergeCap = Math.max(records.length, 1 << 20);
      this.mergeBuf = this.core.alloc(this.mergeCap);
    }
    this.core.bytes(this.mergeBuf, records.length).set(records);
    this.core.check(this.core.exports.packMergeRecords(this.mergeBuf, records.length / RECORD_BYTES));
  }

  /** index-pack --strict: check each commit, tree and tag as it is resolved (set before resolving). */
  strict(on: boolean): void {
    this.core.exports.packStrict(on ? 1 : 0);
  }

  /** Checks the commits, trees and tags stored whole among entries [from, to). */
  fsckBases(from: number, to: number): number {
    return this.core.check(this.core.exports.packFsckBases(from, to));
  }

  /**
   * --strict's connectivity pass, after buildIdx(): walks the commits, trees
   * and tags again and looks up what each names. Links to another type inside
   * the pack become findings; ids the pack lacks are returned, each with the
   * type it is named as (1-4), for the caller to look up elsewhere.
   */
  missingLinks(): Map<string, number> {
    const e = this.core.exports;
    let slots = 1 << 16;
    this.core.check(e.packLinksGrow(slots));
    for (let from = 0; ; ) {
      const r = this.core.check(e.packLinksRun(from));
      if (r >= this.count) break;
      // The set filled up walking from entry r: grow it and walk again from there.
      slots *= 4;
      this.core.check(e.packLinksGrow(slots));
      from = r;
    }
    const n = e.packLinksSetSlots();
    const set = this.core.bytes(e.packLinksSetPtr(), n * 24);
    const out = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = set.subarray(i * 24, i * 24 + 24);
      if (s[21]) out.set(Buffer.from(s.subarray(0, 20)).toString('hex'), s[20]);
    }
    return out;
  }

  /** Whether --strict found errors its findings buffer had no room for (the pack must then fail). */
  fsckLostErrors(): boolean {
    return this.core.exports.fsckLostErrors() !== 0;
  }

  /** The --strict findings so far (copied out; assembly/fsck.ts has the layout), then forgets them. */
  takeFindings(): Uint8Array {
    const e = this.core.exports;
    const bytes = this.core.bytes(e.fsckFindingsPtr(), e.fsckFindingsLen()).slice();
    e.fsckReset();
    return bytes;
  }

  /** Fails when a delta was left unresolved (missing base or a cycle). */
  resolveCheck(): void {
    this.core.check(this.core.exports.packResolveCheck());
  }

  /**
   * Starts completing a thin pack, after pass 2: returns how many deltas are
   * still unresolved (0: the pack is complete).
   */
  thinBegin(): number {
    return this.core.check(this.core.exports.packThinBegin());
  }

  /** The next unresolved REF delta at entry `from` or later, with its base's id; null when none is left. */
  thinNext(from: number): { entry: number; baseId: Uint8Array } | null {
    const e = this.core.exports;
    const entry = e.packThinNext(from);
    if (entry < 0) return null;
    return { entry, baseId: this.core.bytes(e.packThinBasePtr(), 20).slice() };
  }

  private contentBuf = 0;
  private contentCap = 0;

  /** Copies an object's content into a buffer kept for the next one (grown, never freed). */
  private putContent(data: Uint8Array): number {
    if (data.length > this.contentCap || this.contentBuf === 0) {
      this.contentCap = Math.max(data.length, this.contentCap * 2, 1 << 16);
      this.contentBuf = this.core.alloc(this.contentCap);
    }
    this.core.bytes(this.contentBuf, data.length).set(data);
    return this.contentBuf;
  }

  /**
   * The pack entry git appends for an object (its header and its content
   * compressed at zlib `level` 1-3, byte for byte as zlib compresses), copied out.
   */
  thinEntry(kind: number, data: Uint8Array, level: number): Uint8Array {
    const e = this.core.exports;
    const p = this.putContent(data);
    const n = this.core.check(e.packThinEntry(kind, p, data.length, level));
    return this.core.bytes(e.packThinEntryPtr(), n).slice();
  }

  /**
   * Appends object `id` of type `kind` (content `data`) as the pack entry
   * `entry` (header and zlib stream), which the caller has written where the
   * pack's trailer was; resolves the deltas below it and returns how many.
   */
  thinAppend(kind: number, data: Uint8Array, entry: Uint8Array, id: Uint8Array): number {
    const c = this.core;
    const dp = this.putContent(data);
    // Entry and id go in above the content, freed last-in first-out so the memory comes back.
    const ep = c.alloc(entry.length);
    const ip = c.alloc(20);
    try {
      c.bytes(ep, entry.length).set(entry);
      c.bytes(ip, 20).set(id);
      return c.check(c.exports.packThinAppend(kind, dp, data.length, ep, entry.length, ip));
    } finally {
      c.exports.free(ip);
      c.exports.free(ep);
    }
  }

  /** Ends the completion: checksum() becomes that of the grown pack with its new header. */
  thinEnd(): void {
    this.core.check(this.core.exports.packThinEnd());
  }

  /** Bytes pass 1 consumed: the pack's length. */
  get scannedBytes(): number {
    return Number(this.core.exports.packScanOffset());
  }

  /** The .idx v2 bytes (copied out). */
  buildIdx(): Uint8Array {
    return this.buildIdxView().slice();
  }

  /**
   * The .idx v2 bytes as a view of the core's memory, not a copy (as large as
   * the entry table's ids): valid only until a later call into this core grows
   * its memory, so for a caller that makes none.
   */
  buildIdxView(): Uint8Array {
    const e = this.core.exports;
    const len = this.core.check(e.packIdxBuild());
    return this.core.bytes(e.packIdxPtr(), len);
  }

  dispose(): void {
    if (this.source) this.core.removeSource(this.source);
    this.source = 0;
  }
}

export { CoreError };

// Indexing a pack: the host side of `wasmgit index-pack` and of a clone's
// receive step. Pass 1 is fed by positioned reads of the pack file (or by the
// chunks of a stream as they are appended to it); pass 2 reads the file again
// through the core's host.readAt, on one thread or several; the .idx is
// written under a temporary name and renamed only once complete.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { threadsAllowed } from '../address-space.ts';
import { basename, dirname, join } from 'node:path';
import { compileCore, loadCore } from '../core/instance.ts';
import { PackCore, PROGRESS_INDEXING, type EntryTable } from '../core/pack.ts';
import { fileSource } from './file-source.ts';
import { ResolvePool, resolveParallel, workerThreads } from './workers.ts';
import { Turns } from '../turns.ts';
import { collectYoung, prepareCollector } from './young-gc.ts';
import { fixThinPack, type FixThinOptions } from './fix-thin.ts';
import { strictVerdict, type StrictOptions } from './strict.ts';

export type IndexPhase = 'receiving' | 'indexing' | 'resolving';
export type IndexProgress = (phase: IndexPhase, done: number, total: number) => void;

export interface IndexOptions {
  /** Threads for delta resolution; default: the number of cores. Output does not depend on it. */
  threads?: number;
  /** Budget in bytes for delta bases kept in memory while resolving (default 96 MiB, git's core.deltaBaseCacheLimit). */
  cacheLimit?: number;
  /**
   * Budget in bytes for small inflated deltas kept from the first pass so the
   * second need not read and inflate them again (default 64 MiB; 0 keeps none).
   */
  deltaStoreLimit?: number;
  /** Cap in bytes on each core instance's memory while resolving (default: 4 GiB, all wasm32 allows). */
  memoryLimit?: number;
  onProgress?: IndexProgress;
  /** The compiled core, to share one compilation. */
  module?: WebAssembly.Module;
  /** With several threads, whether the main thread resolves too (default true). */
  mainThread?: boolean;
  /** Stops pass 2 between steps (the partial files are removed as on any failure). */
  signal?: AbortSignal;
  /** Check every object as `git index-pack --strict` does (host/pack/strict.ts); failures throw StrictError. */
  strict?: StrictOptions;
}

export interface IndexResult {
  /** The pack's trailer checksum, hex: the pack's name. */
  packChecksum: string;
  objects: number;
  /** The .idx v2 bytes (a view of the indexing core's memory, which it keeps alive: copy them to keep them long). */
  idx: Uint8Array;
  /** The entry table (offsets, sizes, types, bases, depths, ids), for verify-pack -v. */
  table?: EntryTable;
  /** Deltas in the pack, and how many of them worker threads resolved. */
  deltas: number;
  resolvedInWorkers: number;
  /** Objects appended from the repository to complete a thin pack (--fix-thin). */
  appended: number;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Writes `bytes` to `path` through a temporary file in the same directory, renamed when complete. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${randomHex(4)}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o444);
  } catch (err) {
    // Name the file asked for, as git does ("unable to create '<idx>'"), not the temporary one.
    const e = err as NodeJS.ErrnoException;
    if (typeof e.path === 'string') Object.assign(e, { path, syscall: 'create' });
    throw err;
  }
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A system error's reason as strerror() words it: Node's "ENOENT: no such file or directory, open '…'" → "No such file or directory". */
function reason(err: unknown): string {
  const msg = (err as Error).message;
  const why = /^[A-Z]+: ([^,]+)/.exec(msg)?.[1] ?? msg;
  return why.charAt(0).toUpperCase() + why.slice(1);
}

/** Opens a pack, failing as git does: "could not open '<path>' for reading: <reason>". */
function openForReading(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new Error(`could not open '${path}' for reading: ${reason(err)}`);
  }
}

/**
 * Each thread beyond the first is a worker: a thread, a V8 isolate, an instance
 * of the core and a copy of the entry table, tens of milliseconds and MiB
 * before it resolves anything. Below about this many deltas per extra thread,
 * that start-up costs about as much as the work it would take over.
 */
const DELTAS_PER_EXTRA_THREAD = 20_000;

/** A pack file at least this large starts its workers during pass 1 (when the caller names no thread count). */
const PRESTART_MIN_BYTES = 4 << 20;

/** Bytes of a streamed pack between collections of the chunks already indexed (young-gc.ts). */
const COLLECT_EVERY = 1 << 20;

/** Deltas resolved between turns of the event loop on a single thread (a few milliseconds of work). */
const RESOLVE_STEP = 2048;

/**
 * The default threads: one per core, but no more than the deltas pay for
 * (`deltas` unknown: one per core).
 */
export function defaultThreads(deltas = Infinity): number {
  return Math.max(1, Math.min(availableParallelism(), 1 + Math.floor(deltas / DELTAS_PER_EXTRA_THREAD)));
}

/** The threads to use: those asked for (or the default), but one where worker threads cannot start (address-space.ts). */
function threadCount(asked: number | undefined, fallback: () => number): number {
  return threadsAllowed() ? (asked ?? fallback()) : 1;
}

/** Pass 2 and the index, once pass 1 has seen the whole pack (in a file at `packPath`). */
async function resolveAndBuild(
  pc: PackCore,
  packPath: string,
  opts: IndexOptions,
  module: WebAssembly.Module,
  wantTable: boolean,
  pool?: ResolvePool,
  fixThin?: FixThinOptions & { fd: number },
): Promise<IndexResult> {
  const fd = openSync(packPath, 'r');
  try {
    const deltas = pc.resolveBegin(fileSource(fd), { cacheLimit: opts.cacheLimit, memoryLimit: opts.memoryLimit });
    const threads = threadCount(opts.threads, () => defaultThreads(deltas));
    const progress = opts.onProgress ? (d: number, t: number) => opts.onProgress!('resolving', d, t) : undefined;
    progress?.(0, deltas);
    let resolvedInWorkers = 0;
    const findings: Uint8Array[] = [];
    let lostErrors = false;
    if (opts.strict) pc.strict(true);
    if (deltas > 0) {
      if (threads <= 1) {
        pc.core.onProgress = (kind, d, t) => progress?.(d, t);
        const turns = new Turns(opts.signal);
        while (pc.resolveSome(RESOLVE_STEP)) await turns.take();
      } else {
        const r = await resolveParallel(
          pc,
          deltas,
          {
            packPath,
            threads,
            cacheLimit: opts.cacheLimit,
            memoryLimit: opts.memoryLimit,
            module,
            onProgress: progress,
            mainThread: opts.mainThread,
            signal: opts.signal,
            strict: !!opts.strict,
          },
          pool,
        );
        resolvedInWorkers = r.inWorkers;
        findings.push(...r.findings);
        lostErrors = r.lostErrors;
      }
    }
    let appended = 0;
    if (fixThin && deltas > 0) {
      appended = (await fixThinPack(pc, fixThin.fd, fixThin, (unresolved) => progress?.(deltas - unresolved, deltas))).appended;
    }
    // Under --strict, the objects stored whole are checked too; git reports
    // what it finds before it counts unresolved deltas.
    const verdict = opts.strict ? strictVerdict(pc, findings, lostErrors, opts.strict) : null;
    pc.resolveCheck();
    progress?.(deltas, deltas);
    // Nothing calls into this core after the index but --strict's connectivity
    // pass (which grows its memory): otherwise the bytes are not copied out.
    const idx = verdict ? pc.buildIdx() : pc.buildIdxView();
    if (verdict) await verdict.afterIdx(packPath, idx, module);
    return { packChecksum: hex(pc.checksum()), objects: pc.count, idx, table: wantTable ? pc.table() : undefined, deltas, resolvedInWorkers, appended };
  } finally {
    pc.dispose();
    closeSync(fd);
  }
}

/**
 * Indexes the pack file at `packPath`: returns its .idx bytes (nothing is
 * written). Throws CoreError naming the pack offset when the pack is bad.
 */
export async function indexPackFile(packPath: string, opts: IndexOptions & { table?: boolean } = {}): Promise<IndexResult> {
  const module = opts.module ?? (await compileCore());
  const pc = new PackCore(await loadCore({ module }));
  const fd = openForReading(packPath);
  // Worker threads start now and get ready while pass 1 runs, when the caller
  // asked for them or the pack is large enough that the default will use them.
  const size = fstatSync(fd).size;
  const threads = threadCount(opts.threads, () => (size >= PRESTART_MIN_BYTES ? defaultThreads() : 1));
  const pool = threads > 1 ? ResolvePool.start(workerThreads(threads, opts.mainThread), module) : undefined;
  try {
    try {
      pc.core.onProgress = (kind, d, t) => {
        if (kind === PROGRESS_INDEXING) opts.onProgress?.('indexing', d, t);
      };
      pc.scanBegin(size, opts.deltaStoreLimit);
      pc.scanFrom((dst, pos) => readSync(fd, dst, 0, dst.length, pos));
      pc.scanEnd();
    } finally {
      closeSync(fd);
    }
    return await resolveAndBuild(pc, packPath, opts, module, !!opts.table, pool);
  } finally {
    await pool?.close();
  }
}

/** A file beside a pack, as git's derive_filename() names it: pack-X.pack → pack-X.<suffix>. */
export function packSibling(packPath: string, suffix: string): string {
  if (!packPath.endsWith('.pack')) throw new Error(`packfile name '${packPath}' does not end with '.pack'`);
  return packPath.slice(0, -'.pack'.length) + '.' + suffix;
}

/** `git index-pack`'s default .idx name: the pack's name with .idx for .pack. */
export function idxPathFor(packPath: string): string {
  return packSibling(packPath, 'idx');
}

/**
 * Writes a .keep file as git's write_special_file() does: created exclusively
 * (mode 0600), holding `msg` and a newline, or nothing when `msg` is empty.
 * An existing file is left as it is: returns false, and git then reports the
 * pack as "pack", not "keep".
 */
export function writeKeepFile(path: string, msg: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot write keep file '${path}': ${reason(err)}`);
  }
  try {
    if (msg.length > 0) {
      const bytes = Buffer.from(msg + '\n');
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    }
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw new Error(`cannot write keep file '${path}': ${reason(err)}`);
  }
  closeSync(fd);
  return true;
}

export interface FinishOptions {
  /** Where to write the .idx; default beside the pack. */
  idxPath?: string;
  /** Write <pack>.keep holding this message (git index-pack --keep[=<msg>]); '' for an empty file. */
  keep?: string;
}

/**
 * The last steps git's final() takes once the .idx bytes are known: the .keep
 * first, then the .idx under its name. A failure removes the .keep this call
 * made, so nothing is left that claims a pack without its index.
 */
function writeIdxAndKeep(packPath: string, idx: Uint8Array, opts: FinishOptions): { idxPath: string; keepPath?: string } {
  const idxPath = opts.idxPath ?? idxPathFor(packPath);
  const keepPath = opts.keep !== undefined ? packSibling(packPath, 'keep') : undefined;
  const kept = keepPath !== undefined && writeKeepFile(keepPath, opts.keep!);
  try {
    writeFileAtomic(idxPath, idx);
  } catch (err) {
    if (kept) rmSync(keepPath, { force: true });
    throw err;
  }
  return { idxPath, keepPath: kept ? keepPath : undefined };
}

export interface WrittenIndex {
  idxPath: string;
  /** The .keep written, when one was asked for and did not exist already. */
  keepPath?: string;
}

/** Indexes `packPath` and writes its .idx (to `idxPath`, default beside the pack), and its .keep when asked. */
export async function indexPack(packPath: string, opts: IndexOptions & FinishOptions = {}): Promise<IndexResult & WrittenIndex> {
  if (opts.keep !== undefined) packSibling(packPath, 'keep');
  const r = await indexPackFile(packPath, opts);
  return { ...r, ...writeIdxAndKeep(packPath, r.idx, opts) };
}

export interface PackIndexerOptions extends IndexOptions, FinishOptions {
  /**
   * Complete a thin pack (git index-pack --fix-thin): bases its REF deltas name
   * but it lacks are looked up here and appended to it.
   */
  fixThin?: FixThinOptions;
  /** Write the pack to this path (it must not exist, as with git index-pack --stdin <pack>). */
  packPath?: string;
  /** Or into this directory: as tmp_pack_*, renamed to pack-<checksum>.pack at the end. */
  packDir?: string;
}

export interface PackIndexerResult extends IndexResult, WrittenIndex {
  packPath: string;
}

/**
 * Indexes a pack arriving as a stream of chunks (the network, stdin): each
 * chunk is appended to the pack file and fed to pass 1 at once; pass 2 and the
 * .idx follow when the stream ends. On failure (or abort) the partial pack and
 * any temporary files are removed.
 */
export class PackIndexer {
  private received = 0;
  private finished = false;
  private fdOpen = true;
  private nextCollect = COLLECT_EVERY;

  private constructor(
    private readonly pc: PackCore,
    private readonly module: WebAssembly.Module,
    private readonly fd: number,
    private readonly writePath: string,
    private readonly opts: PackIndexerOptions,
  ) {}

  static async create(opts: PackIndexerOptions): Promise<PackIndexer> {
    if (!opts.packPath === !opts.packDir) throw new Error('PackIndexer needs exactly one of packPath and packDir');
    const module = opts.module ?? (await compileCore());
    const pc = new PackCore(await loadCore({ module }));
    const writePath = opts.packPath ?? join(opts.packDir!, `tmp_pack_${randomHex(6)}`);
    const fd = openSync(writePath, 'wx', 0o444);
    pc.core.onProgress = (kind, d, t) => {
      if (kind === PROGRESS_INDEXING) opts.onProgress?.('receiving', d, t);
    };
    try {
      pc.scanBegin(undefined, opts.deltaStoreLimit);
    } catch (err) {
      closeSync(fd);
      rmSync(writePath, { force: true });
      throw err;
    }
    // Callers make the indexer while the server prepares the pack: a good time.
    prepareCollector();
    return new PackIndexer(pc, module, fd, writePath, opts);
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  /** Appends a chunk of the pack and indexes what it completes. */
  write(chunk: Uint8Array): void {
    if (this.finished) throw new Error('PackIndexer: write after finish');
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
      this.received += chunk.length;
      this.pc.scanPush(chunk);
      // The chunks indexed so far are garbage V8 is in no hurry to collect.
      if (this.received >= this.nextCollect) {
        collectYoung();
        this.nextCollect = this.received + COLLECT_EVERY;
      }
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Ends the stream: checks the pack, resolves deltas, writes the .idx; returns where both are. */
  async finish(): Promise<PackIndexerResult> {
    if (this.finished) throw new Error('PackIndexer: finish called twice');
    this.finished = true;
    let packPath = this.writePath;
    try {
      this.pc.scanEnd();
      fsyncSync(this.fd);
      // --fix-thin appends to the pack: the file stays open for writing until then.
      const fixThin = this.opts.fixThin ? { ...this.opts.fixThin, fd: this.fd } : undefined;
      if (!fixThin) this.closeFd();
      const r = await resolveAndBuild(this.pc, this.writePath, this.opts, this.module, false, undefined, fixThin);
      this.closeFd();
      if (this.opts.packDir) {
        packPath = join(this.opts.packDir, `pack-${r.packChecksum}.pack`);
        renameSync(this.writePath, packPath);
      }
      return { ...r, packPath, ...writeIdxAndKeep(packPath, r.idx, this.opts) };
    } catch (err) {
      this.closeFd();
      rmSync(packPath, { force: true });
      throw err;
    }
  }

  private closeFd(): void {
    if (this.fdOpen) closeSync(this.fd);
    this.fdOpen = false;
  }

  /** Gives up: closes and removes the partial pack. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.closeFd();
    rmSync(this.writePath, { force: true });
  }
}

/**
 * `n` random bytes as hex, for temporary names. They need not be secret:
 * every temporary file is created exclusively ('wx'), so a name that is
 * taken fails rather than clobbers. (Web Crypto's first call loads OpenSSL's
 * generator: 2-8 ms of a small clone's start.)
 */
function randomHex(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return out;
}

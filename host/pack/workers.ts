// Pass 2 spread over threads. Each worker instantiates the same compiled core
// with its own memory, receives a copy of the entry table (in pieces), opens the pack
// itself, and resolves the delta trees of the roots it is given, returning one
// record (entry, base, depth, type, id) per delta. The trees are disjoint, so
// nothing is shared or locked, and the index does not depend on the split.
//
// The main thread works too: with N threads there are N-1 workers. Roots go out
// in small batches (in pack order, sized by weight) from one queue, each worker
// holding three so it never waits for the main thread between batches.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-start.ts';
import { CoreError } from '../core/instance.ts';
import type { PackCore } from '../core/pack.ts';

export interface ResolveOptions {
  /** Path of the pack, opened by each worker. */
  packPath: string;
  threads: number;
  cacheLimit?: number;
  memoryLimit?: number;
  /** The compiled core, shared with the workers (compiling once). */
  module: WebAssembly.Module;
  onProgress?: (done: number, total: number) => void;
  /**
   * Whether the main thread resolves too (default). Without it all the work goes
   * to threads-1 workers and the main thread's event loop stays free.
   */
  mainThread?: boolean;
  /** Stops resolution: the batches in flight are dropped. */
  signal?: AbortSignal;
  /** index-pack --strict: workers check what they resolve; their findings come back in the result. */
  strict?: boolean;
}

/** Batches a worker holds at once. */
const PREFETCH = 3;

interface Batch {
  roots: Uint32Array;
}

/**
 * The entry table goes to a worker in pieces of this size through one buffer
 * passed back and forth: a whole copy (58 bytes an object) would be resident
 * beside both instances' tables until collected.
 */
const TABLE_PIECE = 2 << 20;

// Bytes cross between threads as ArrayBuffers (each of them whole), never as
// typed-array views: Deno's node:worker_threads serializes a view element by
// element, ~100 ms per MiB (measured: a 100k-object pack's table and batches
// took the worker seconds to receive, and the main thread did nearly all the
// work), while a buffer goes at once, as Node and Bun send either.
type WorkerReply =
  | { type: 'ready' }
  | { type: 'table'; buffer: ArrayBuffer }
  | { type: 'done'; resolved: number; records: ArrayBuffer; findings: ArrayBuffer; lostErrors: boolean }
  | { type: 'error'; message: string; code: number; offset?: number };


/** Splits roots (in pack order) into batches of about `target` weight. */
function makeBatches(entries: Uint32Array, weights: Uint32Array, target: number): Batch[] {
  const out: Batch[] = [];
  let start = 0;
  let w = 0;
  for (let i = 0; i < entries.length; i++) {
    w += weights[i];
    if (w >= target || i === entries.length - 1) {
      out.push({ roots: entries.slice(start, i + 1) });
      start = i + 1;
      w = 0;
    }
  }
  return out;
}

/** Worker threads for `threads` in all: the main thread counts as one unless it stays out. */
export function workerThreads(threads: number, mainThread = true): number {
  return mainThread ? threads - 1 : Math.max(1, threads - 1);
}

/**
 * Worker threads for pass 2, started ahead of time: they boot (a thread, a
 * module instance) while pass 1 still runs, then wait for the entry table.
 */
export class ResolvePool {
  /** The first failure of each worker (starting up, or later), if any. */
  readonly failures = new Map<Worker, Error>();

  private constructor(readonly workers: Worker[]) {
    for (const w of workers) {
      // Recorded here, so a worker that fails before it is given work neither
      // crashes the process nor goes unnoticed.
      w.on('error', (err) => this.failures.has(w) || this.failures.set(w, err));
      w.on('exit', (code) => this.failures.has(w) || this.failures.set(w, new Error(`a delta resolution thread exited (${code})`)));
    }
  }

  static start(count: number, module: WebAssembly.Module): ResolvePool {
    const workers: Worker[] = [];
    for (let i = 0; i < count; i++) workers.push(startWorker('pack', 'resolve-worker', { module }));
    return new ResolvePool(workers);
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const w of workers) this.failures.set(w, new Error('closed'));
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Resolves every delta of the pack whose pass 1 ran in `pc` (resolveBegin
 * already called on it), filling pc's table. Throws CoreError on a bad delta.
 * Uses `pool`'s workers when given (and leaves closing it to the caller).
 */
export async function resolveParallel(pc: PackCore, deltas: number, opts: ResolveOptions, pool?: ResolvePool): Promise<{ inWorkers: number; findings: Uint8Array[]; lostErrors: boolean }> {
  const mainThread = opts.mainThread ?? true;
  const own = pool ? null : ResolvePool.start(workerThreads(opts.threads, mainThread), opts.module);
  try {
    return await runBatches(pc, deltas, opts, mainThread, pool ?? own!);
  } finally {
    await own?.close();
  }
}

async function runBatches(pc: PackCore, deltas: number, opts: ResolveOptions, mainThread: boolean, pool: ResolvePool): Promise<{ inWorkers: number; findings: Uint8Array[]; lostErrors: boolean }> {
  const { entries, weights } = pc.roots();
  let totalWeight = 0;
  for (let i = 0; i < weights.length; i++) totalWeight += weights[i];
  // Enough batches that the last ones are short (good balance), few enough
  // that messaging stays negligible next to the work.
  const target = Math.max(256, Math.ceil(totalWeight / (opts.threads * 64)));
  const queue = makeBatches(entries, weights, target);
  let next = 0;
  let done = 0;
  let inWorkers = 0;
  const findings: Uint8Array[] = [];
  let lostErrors = false;
  const report = (n: number) => {
    done += n;
    opts.onProgress?.(done, deltas);
  };

  let failure: Error | null = null;
  let outstanding = 0;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const send = (w: Worker): boolean => {
    if (failure || next >= queue.length) return false;
    const b = queue[next++];
    outstanding++;
    const store = pc.gatherStore(b.roots);
    w.postMessage({ type: 'batch', roots: b.roots.buffer, store: store.buffer }, [store.buffer as ArrayBuffer]);
    return true;
  };

  const tableLength = pc.tableLength;
  const tableSent = new Map<Worker, number>();
  /** Sends the next piece of the table in `buf` (a buffer the worker gave back, or a first one). */
  const sendTable = (w: Worker, buf: Uint8Array) => {
    const off = tableSent.get(w) ?? 0;
    if (off >= tableLength) return;
    const n = Math.min(buf.length, tableLength - off);
    buf.set(pc.tableView(off, n));
    tableSent.set(w, off + n);
    w.postMessage({ type: 'table', offset: off, length: n, buffer: buf.buffer }, [buf.buffer as ArrayBuffer]);
  };

  const onMessage = (w: Worker) => (m: WorkerReply) => {
    if (m.type === 'table') {
      sendTable(w, new Uint8Array(m.buffer));
      poke();
      return;
    }
    if (m.type === 'ready') {
      // Three in hand: a worker keeps busy while the main thread, inside a
      // batch of its own, cannot answer.
      for (let i = 0; i < PREFETCH; i++) send(w);
    } else if (m.type === 'done') {
      outstanding--;
      try {
        pc.mergeRecords(new Uint8Array(m.records));
        if (m.findings.byteLength) findings.push(new Uint8Array(m.findings));
        lostErrors ||= m.lostErrors;
        inWorkers += m.resolved;
        report(m.resolved);
      } catch (err) {
        failure ??= err as Error;
      }
      send(w);
    } else {
      outstanding--;
      failure ??= new CoreError(m.message, m.code, m.offset);
    }
    poke();
  };
  const onError = (err: Error) => {
    failure ??= err;
    outstanding = 0;
    poke();
  };

  const onExit = (code: number) => onError(new Error(`a delta resolution thread exited (${code})`));
  const onAbort = () => onError(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('delta resolution aborted'));
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);

  const used: { w: Worker; message: (m: WorkerReply) => void }[] = [];
  if (queue.length > 0) {
    for (const w of pool.workers) {
      const early = pool.failures.get(w);
      if (early) {
        onError(early);
        break;
      }
      const message = onMessage(w);
      w.on('message', message);
      w.on('error', onError);
      w.on('exit', onExit);
      used.push({ w, message });
      const init = { type: 'init', packPath: opts.packPath, count: pc.count, tableLength, cacheLimit: opts.cacheLimit ?? 0, memoryLimit: opts.memoryLimit ?? 0, strict: !!opts.strict };
      w.postMessage(init);
      sendTable(w, new Uint8Array(Math.min(TABLE_PIECE, tableLength)));
    }
  }
  try {
    // The pieces of the table go out first: between the main thread's own
    // batches, each would wait for a batch to end.
    while (!failure && used.some(({ w }) => (tableSent.get(w) ?? 0) < tableLength)) {
      await new Promise<void>((r) => (wake = r));
    }
    // The main thread takes batches from the same queue, yielding between them
    // so worker replies are merged and answered promptly.
    while (mainThread && !failure && next < queue.length) {
      const b = queue[next++];
      report(pc.resolveList(b.roots));
      await new Promise<void>((r) => setImmediate(r));
    }
    while (!failure && (outstanding > 0 || next < queue.length)) {
      await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw failure;
    return { inWorkers, findings, lostErrors };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    for (const { w, message } of used) {
      w.off('message', message);
      w.off('error', onError);
      w.off('exit', onExit);
    }
  }
}

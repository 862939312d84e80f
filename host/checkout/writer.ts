// A large checkout's files are created by a second thread.
//
// Creating a file is four system calls (open, write, fstat, close) that cost
// more than everything else the checkout does for it: walking the trees,
// inflating the blob, converting it. git does them one after the other on one
// thread; here the main thread keeps reading and converting blobs while a
// writer thread (write-worker.ts) makes the calls, so the two overlap.
//
// The main thread decides everything: the order (directories were created
// before, then files in the order the checkout reads them), the path-safety
// checks (WorkTree.checkParents), the bytes. It packs each file's path and
// content into a batch (one ArrayBuffer, transferred, then handed back for
// reuse); the thread creates the files of a batch in order, with the same
// flags as WorkTree (O_EXCL | O_NOFOLLOW, modes 0666/0777), and answers with
// their stat data in a flat Uint32Array. At its first failure it stops and
// drops what follows; the error reaches the caller with the message the
// single-threaded path gives. A few batches are in flight at most, so memory
// stays bounded whatever the checkout's size.
import type { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtin } from '../builtins.ts';
import { UnsafePathError, displayPath } from '../core/tree.ts';
import { OP_WORDS, STAT_WORDS, type Batch, type WriterReply } from './writer-protocol.ts';

/** Operations per batch: enough that a message's cost is spread thin, few enough that the thread starts early. */
const BATCH_OPS = 256;
/** Bytes (paths and contents) per batch; a larger file goes in a batch of its own. */
const BATCH_BYTES = 256 << 10;
/** Batches sent and not yet answered, at most. */
const IN_FLIGHT = 6;

/**
 * Starts write-worker: from dist/checkout/ once bundled, or from the sources,
 * where the TypeScript loader (tsx) has to be registered in the thread too.
 */
function startWorker(workerData: unknown): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./write-worker.ts', here).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new (builtin.workerThreads().Worker)(boot, { eval: true, workerData });
  }
  for (const rel of ['./checkout/write-worker.js', '../checkout/write-worker.js', './write-worker.js']) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return new (builtin.workerThreads().Worker)(url, { workerData });
  }
  throw new Error('wasmgit: checkout/write-worker.js not found next to the bundle');
}

interface Pending {
  batch: Batch;
  /** The checkout's entry number of each operation. */
  entries: Int32Array;
}

export class WriterThread {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, Int32Array>();
  private readonly spare: { ops: Uint32Array; bytes: Uint8Array }[] = [];
  private cur: Pending | null = null;
  private used = 0;
  private nextId = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;

  /**
   * `root`: the work tree (as WorkTree has it). Stat data of entry i lands at
   * stats[i * 9 ...]; `pathOf(i)` names entry i in errors; `onWritten(k)` is
   * called as each batch of k files is done.
   */
  constructor(
    root: string,
    private readonly stats: Uint32Array,
    private readonly pathOf: (entry: number) => Uint8Array,
    private readonly onWritten: (count: number) => void,
  ) {
    this.worker = startWorker({ root: root.replace(/\/+$/, '') || '/' });
    this.worker.on('message', (m: WriterReply) => this.reply(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.stopped || this.fail(new Error(`the checkout's writer thread exited (${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private reply(m: WriterReply): void {
    const entries = this.inFlight.get(m.batch);
    this.inFlight.delete(m.batch);
    if (!entries) return;
    if (m.type === 'error') {
      this.fail(this.errorFor(m, entries[m.at]));
      return;
    }
    for (let i = 0; i < entries.length; i++) this.stats.set(m.stats.subarray(i * STAT_WORDS, (i + 1) * STAT_WORDS), entries[i] * STAT_WORDS);
    if (m.bytes.length === BATCH_BYTES && m.ops.length === BATCH_OPS * OP_WORDS) this.spare.push({ ops: m.ops, bytes: m.bytes });
    this.onWritten(entries.length);
    this.wake?.();
  }

  /** The error WorkTree would have thrown for the same failure. */
  private errorFor(m: Extract<WriterReply, { type: 'error' }>, entry: number): Error {
    const rel = displayPath(this.pathOf(entry));
    if (m.code === 'EEXIST' && (m.step === 'open' || m.step === 'symlink')) return new UnsafePathError(rel, 'something already exists at this path');
    if (m.code === 'ELOOP' && m.step === 'open') return new UnsafePathError(rel, 'a symbolic link is in the way of this file');
    const err = new Error(m.message) as NodeJS.ErrnoException;
    if (m.code !== undefined) err.code = m.code;
    if (m.errno !== undefined) err.errno = m.errno;
    if (m.syscall !== undefined) err.syscall = m.syscall;
    if (m.path !== undefined) err.path = m.path;
    return err;
  }

  /** Throws the thread's first failure, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits until fewer than IN_FLIGHT batches are out (or the thread failed). */
  async room(): Promise<void> {
    this.check();
    while (this.inFlight.size >= IN_FLIGHT) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      this.check();
    }
  }

  /** Queues entry `entry`: a file (kind FILE or EXEC) or symbolic link (LINK) at `rel` holding `data`. */
  add(kind: number, entry: number, rel: Uint8Array, data: Uint8Array): void {
    const size = rel.length + data.length;
    if (this.cur && (this.cur.batch.count === BATCH_OPS || this.used + size > this.cur.batch.bytes.length)) this.flush();
    if (!this.cur) {
      const reuse = size <= BATCH_BYTES ? this.spare.pop() : undefined;
      const ops = reuse?.ops ?? new Uint32Array(BATCH_OPS * OP_WORDS);
      const bytes = reuse?.bytes ?? new Uint8Array(Math.max(BATCH_BYTES, size));
      this.cur = { batch: { id: this.nextId++, count: 0, ops, bytes }, entries: new Int32Array(BATCH_OPS) };
      this.used = 0;
    }
    const b = this.cur.batch;
    const o = b.count * OP_WORDS;
    b.ops[o] = kind;
    b.ops[o + 1] = this.used;
    b.ops[o + 2] = rel.length;
    b.bytes.set(rel, this.used);
    this.used += rel.length;
    b.ops[o + 3] = this.used;
    b.ops[o + 4] = data.length;
    b.bytes.set(data, this.used);
    this.used += data.length;
    this.cur.entries[b.count++] = entry;
  }

  private flush(): void {
    const p = this.cur;
    if (!p) return;
    this.cur = null;
    if (this.failure) return;
    this.inFlight.set(p.batch.id, p.entries.subarray(0, p.batch.count));
    this.worker.postMessage(p.batch, [p.batch.ops.buffer as ArrayBuffer, p.batch.bytes.buffer as ArrayBuffer]);
  }

  /** Sends what is queued and waits for all of it to be written; throws the first failure. */
  async finish(): Promise<void> {
    this.flush();
    this.check();
    while (this.inFlight.size) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      this.check();
    }
  }

  /** Stops the thread; once this resolves, it makes no more system calls. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.worker.terminate();
  }
}

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
// content into a batch in shared memory (writer-protocol.ts); the thread
// creates the files of a batch in order, with the same flags as WorkTree
// (O_EXCL | O_NOFOLLOW, modes 0666/0777), writes their stat data into a shared
// table and counts the batches it has written in a shared counter. It sends a
// message only when the main thread asks, because it has to wait for a slot
// (a message costs the busier thread 1-2 ms). At its first failure it stops
// and drops what follows; the error reaches the caller with the message the
// single-threaded path gives. At most 16 batches are out, so memory stays
// bounded whatever the checkout's size.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-start.ts';
import { UnsafePathError, displayPath } from '../core/tree.ts';
import { DONE, OP_WORDS, STAT_WORDS, WANT, type Batch, type Start, type WriterInit, type WriterReply } from './writer-protocol.ts';

/** Operations per batch: few enough that the thread starts early. */
const BATCH_OPS = 256;
/** Bytes (paths and contents) per batch; a larger file goes in a batch of its own. */
const BATCH_BYTES = 256 << 10;
/** Slots, so batches sent and not yet written (plus the one being filled), at most: 4 MiB. */
const IN_FLIGHT = 16;


export class WriterThread {
  private readonly worker: Worker;
  /** Entries of each batch sent and not yet answered, by batch number; and its slot. */
  private readonly inFlight = new Map<number, { entries: Int32Array; slot: number }>();
  private readonly slots: { ops: Uint32Array; bytes: Uint8Array }[] = [];
  private readonly free: number[] = [];
  /** The batch being filled: its slot (-1: none), operation count, bytes used, and bytes (a slot's, or larger for one big file). */
  private slot = -1;
  private count = 0;
  private used = 0;
  private bytes: Uint8Array | null = null;
  private entries = new Int32Array(BATCH_OPS);
  private nextId = 0;
  /** Batches known to be written (all below this number). */
  private doneTo = 0;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8));
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;

  private pathOf: (entry: number) => Uint8Array = () => new Uint8Array(0);
  private onWritten: (count: number) => void = () => {};
  private signal: AbortSignal | undefined;
  private readonly onAbort = () => this.wake?.();

  /**
   * Starts the thread for work tree `root` (as WorkTree has it). It boots
   * while the caller still walks the trees; begin() then says where the stat
   * data goes, before the first add().
   */
  constructor(root: string) {
    for (let i = 0; i < IN_FLIGHT; i++) {
      this.slots.push({
        ops: new Uint32Array(new SharedArrayBuffer(BATCH_OPS * OP_WORDS * 4)),
        bytes: new Uint8Array(new SharedArrayBuffer(BATCH_BYTES)),
      });
      this.free.push(IN_FLIGHT - 1 - i);
    }
    this.ctrl[WANT] = 0x7fffffff;
    const init: WriterInit = {
      root: root.replace(/\/+$/, '') || '/',
      slots: this.slots.map((s) => ({ ops: s.ops.buffer as SharedArrayBuffer, bytes: s.bytes.buffer as SharedArrayBuffer })),
      ctrl: this.ctrl.buffer as SharedArrayBuffer,
    };
    this.worker = startWorker('checkout', 'write-worker', init);
    this.worker.on('message', (m: WriterReply) => this.reply(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.stopped || this.fail(new Error(`the checkout's writer thread exited (${code})`)));
  }

  /** A table for `n` entries' stat data that the thread can write. */
  static statTable(n: number): Uint32Array {
    return new Uint32Array(new SharedArrayBuffer(Math.max(n, 1) * STAT_WORDS * 4));
  }

  /**
   * Stat data of entry i will land at stats[i * 9 ...] (a statTable());
   * `pathOf(i)` names entry i in errors; `onWritten(k)` is called as each
   * batch of k files is done.
   */
  begin(o: { stats: Uint32Array; pathOf: (entry: number) => Uint8Array; onWritten: (count: number) => void; signal?: AbortSignal }): void {
    this.pathOf = o.pathOf;
    this.onWritten = o.onWritten;
    // Waits end on an abort too (the signal's reason is then thrown).
    this.signal = o.signal;
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.worker.postMessage({ stats: o.stats.buffer as SharedArrayBuffer } satisfies Start);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private reply(m: WriterReply): void {
    if (m.type === 'error') {
      const batch = this.inFlight.get(m.batch);
      if (batch) this.fail(this.errorFor(m, batch.entries[m.at]));
      return;
    }
    this.collect();
    this.wake?.();
  }

  /** Frees the slots of the batches the thread has written since the last look. */
  private collect(): void {
    const done = Atomics.load(this.ctrl, DONE);
    while (this.doneTo < done) {
      const batch = this.inFlight.get(this.doneTo)!;
      this.inFlight.delete(this.doneTo++);
      this.free.push(batch.slot);
      this.onWritten(batch.entries.length);
    }
  }

  /**
   * Waits until `ready()` holds, asking the thread to say when batch `want`
   * is done. The request is made, then the counter read again: the thread
   * stores its counter, then reads the request, so one of the two sees the
   * other's write and no wake-up is lost.
   */
  private async waitFor(want: number, ready: () => boolean): Promise<void> {
    for (;;) {
      this.signal?.throwIfAborted();
      this.check();
      if (ready()) return;
      Atomics.store(this.ctrl, WANT, want);
      this.collect();
      if (ready()) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
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

  /** Throws the thread's first failure, if any; counts what it has written. */
  check(): void {
    if (this.failure) throw this.failure;
    this.collect();
  }

  /** Whether adding `size` bytes (path and content) needs a slot and none is free: then await room(size) first. */
  full(size: number): boolean {
    const needSlot = this.slot < 0 || this.count === BATCH_OPS || this.used + size > this.bytes!.length;
    return needSlot && this.free.length === 0;
  }

  /** Waits until adding `size` bytes would find room (or the thread failed); then half the slots are free. */
  async room(size: number): Promise<void> {
    const want = Math.min(this.nextId, this.doneTo + (IN_FLIGHT >> 1));
    await this.waitFor(want, () => !this.full(size));
  }

  /**
   * Queues entry `entry`: a file (kind FILE or EXEC) or symbolic link (LINK)
   * at `rel` holding `data`. May send the batch being filled; a slot must be
   * free for the next (when full(size), await room(size) first).
   */
  add(kind: number, entry: number, rel: Uint8Array, data: Uint8Array): void {
    const size = rel.length + data.length;
    if (this.slot >= 0 && (this.count === BATCH_OPS || this.used + size > this.bytes!.length)) {
      this.flush();
      if (this.free.length === 0) throw new Error('writer: no free slot (await room() first)');
    }
    if (this.slot < 0) {
      this.slot = this.free.pop()!;
      this.bytes = size <= BATCH_BYTES ? this.slots[this.slot].bytes : new Uint8Array(new SharedArrayBuffer(size));
      this.count = 0;
      this.used = 0;
    }
    const ops = this.slots[this.slot].ops;
    const bytes = this.bytes!;
    const o = this.count * OP_WORDS;
    ops[o] = kind;
    ops[o + 1] = entry;
    ops[o + 2] = this.used;
    ops[o + 3] = rel.length;
    bytes.set(rel, this.used);
    this.used += rel.length;
    ops[o + 4] = this.used;
    ops[o + 5] = data.length;
    bytes.set(data, this.used);
    this.used += data.length;
    this.entries[this.count++] = entry;
  }

  private flush(): void {
    if (this.slot < 0) return;
    const batch: Batch = { id: this.nextId++, slot: this.slot, count: this.count };
    if (this.bytes !== this.slots[this.slot].bytes) batch.bytes = this.bytes!.buffer as SharedArrayBuffer;
    this.inFlight.set(batch.id, { entries: this.entries.slice(0, this.count), slot: this.slot });
    this.slot = -1;
    this.bytes = null;
    if (!this.failure) this.worker.postMessage(batch);
  }

  /** Sends what is queued and waits for all of it to be written; throws the first failure. */
  async finish(): Promise<void> {
    this.flush();
    // A few batches at a time, so progress keeps moving to the end.
    while (this.inFlight.size) {
      const want = Math.min(this.nextId, this.doneTo + (IN_FLIGHT >> 2));
      await this.waitFor(want, () => this.doneTo >= want);
    }
  }

  /** Stops the thread; once this resolves, it makes no more system calls. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    await this.worker.terminate();
  }
}

// The writer thread of a large checkout (see writer.ts): creates the files and
// symbolic links it is sent, in the order sent, and answers each batch with
// their stat data. It does only the system calls; every decision (which path,
// whether its parents are safe, what bytes) was made by the main thread.
//
// It imports only node built-ins and the protocol, so it starts in a few milliseconds.
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, constants, fstatSync, lstatSync, symlinkSync, writeSync, openSync } from 'node:fs';
import { DONE, EXEC, LINK, OP_WORDS, WANT, STAT_WORDS, putStat, type Batch, type Start, type WriterInit, type WriterReply } from './writer-protocol.ts';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const port = parentPort!;
const init = workerData as WriterInit;
const root = init.root;
const slots = init.slots.map((s) => ({ ops: new Uint32Array(s.ops), bytes: new Uint8Array(s.bytes) }));
const ctrl = new Int32Array(init.ctrl);
let stats: Uint32Array = new Uint32Array(0);
const prefix = Buffer.from(`${root}/`);
/** Room for the full path of one entry; grown when a longer one comes. */
let scratch = Buffer.allocUnsafe(4096);
/** Set by the first failure: later batches are dropped, as the main thread stops there. */
let failed = false;

/** The full path of an entry, in a buffer reused for the next (the calls below copy it). */
function full(bytes: Uint8Array, off: number, len: number): Buffer {
  const need = prefix.length + len;
  if (need > scratch.length) scratch = Buffer.allocUnsafe(need * 2);
  prefix.copy(scratch, 0);
  scratch.set(bytes.subarray(off, off + len), prefix.length);
  return scratch.subarray(0, need);
}

port.on('message', (m: Batch | Start) => {
  if ('stats' in m) {
    stats = new Uint32Array(m.stats);
    return;
  }
  const b = m;
  if (failed) return;
  const { ops } = slots[b.slot];
  const bytes = b.bytes ? new Uint8Array(b.bytes) : slots[b.slot].bytes;
  for (let i = 0; i < b.count; i++) {
    const o = i * OP_WORDS;
    const kind = ops[o];
    const at = ops[o + 1] * STAT_WORDS;
    const path = full(bytes, ops[o + 2], ops[o + 3]);
    const dataOff = ops[o + 4];
    const dataLen = ops[o + 5];
    let step = 'open';
    try {
      if (kind === LINK) {
        step = 'symlink';
        symlinkSync(Buffer.from(bytes.subarray(dataOff, dataOff + dataLen)), path);
        step = 'lstat';
        putStat(stats, at, lstatSync(path, { bigint: true }));
        continue;
      }
      const fd = openSync(path, CREATE, kind === EXEC ? 0o777 : 0o666);
      step = 'write';
      try {
        let done = 0;
        while (done < dataLen) done += writeSync(fd, bytes, dataOff + done, dataLen - done);
        // Stat before close, as git's checkout does: nothing later changes it.
        putStat(stats, at, fstatSync(fd, { bigint: true }));
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      failed = true;
      const e = err as NodeJS.ErrnoException;
      const reply: WriterReply = {
        type: 'error',
        batch: b.id,
        at: i,
        step,
        message: e.message,
        code: e.code,
        errno: e.errno,
        syscall: e.syscall,
        path: e.path,
      };
      port.postMessage(reply);
      return;
    }
  }
  Atomics.store(ctrl, DONE, b.id + 1);
  if (b.id + 1 >= Atomics.load(ctrl, WANT)) {
    const reply: WriterReply = { type: 'done', batch: b.id };
    port.postMessage(reply);
  }
});

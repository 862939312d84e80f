// A pass-2 worker (see workers.ts): its own core instance and memory, a copy of
// the entry table (received in pieces), its own descriptor on the pack. Answers each batch of roots
// with the records of the deltas it resolved (and, under --strict, what the
// checks of the objects found).
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, openSync } from 'node:fs';
import { CoreError, loadCore } from '../core/instance.ts';
import { PackCore } from '../core/pack.ts';
import { fileSource } from './file-source.ts';

const { module } = workerData as { module: WebAssembly.Module };
const port = parentPort!;

interface Init {
  type: 'init';
  packPath: string;
  /** The table's rows and length in bytes: it follows in 'table' pieces. */
  count: number;
  tableLength: number;
  cacheLimit: number;
  memoryLimit: number;
  /** index-pack --strict: check each commit, tree and tag resolved, and send the findings back. */
  strict: boolean;
}

function reply(err: unknown): void {
  const e = err as Error;
  port.postMessage({ type: 'error', message: e.message, code: err instanceof CoreError ? err.code : -1, offset: err instanceof CoreError ? err.offset : undefined });
}

// Messages wait in the port until the listener below is attached, so the host
// may send the table while this thread is still instantiating the core. (A
// failure here is thrown: the host sees the thread's 'error' event.)
{
  const pc = new PackCore(await loadCore({ module }));
  let fd = -1;
  let init: Init | null = null;
  let table = 0;
  let missing = 0;
  // Bytes come and go as whole ArrayBuffers, not views (see WorkerReply in workers.ts).
  port.on('message', (m: Init | { type: 'table'; offset: number; length: number; buffer: ArrayBuffer } | { type: 'batch'; roots: ArrayBuffer; store: ArrayBuffer }) => {
    try {
      if (m.type === 'init') {
        init = m;
        table = pc.tableAlloc(m.count);
        missing = m.tableLength;
        return;
      }
      if (m.type === 'table') {
        // A piece of the table, copied in; its buffer goes back for the next piece.
        pc.core.bytes(table + m.offset, m.length).set(new Uint8Array(m.buffer, 0, m.length));
        missing -= m.length;
        port.postMessage({ type: 'table', buffer: m.buffer }, [m.buffer]);
        if (missing > 0) return;
        const i = init!;
        fd = openSync(i.packPath, 'r');
        pc.resolveBegin(fileSource(fd), { cacheLimit: i.cacheLimit, memoryLimit: i.memoryLimit, record: true });
        pc.strict(i.strict);
        port.postMessage({ type: 'ready' });
        return;
      }
      const resolved = pc.resolveList(new Uint32Array(m.roots), new Uint8Array(m.store));
      // Both are copies out of the core's memory (slice()), so their buffers are theirs whole.
      const records = pc.records().buffer as ArrayBuffer;
      const findings = pc.takeFindings().buffer as ArrayBuffer;
      port.postMessage({ type: 'done', resolved, records, findings, lostErrors: pc.fsckLostErrors() }, [records, findings]);
    } catch (err) {
      reply(err);
    }
  });
  port.once('close', () => {
    if (fd >= 0) closeSync(fd);
  });
}

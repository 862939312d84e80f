// A pass-2 worker (see workers.ts): its own core instance and memory, a copy of
// the entry table, its own descriptor on the pack. Answers each batch of roots
// with the records of the deltas it resolved.
import { parentPort, workerData } from 'node:worker_threads';
import { closeSync, openSync } from 'node:fs';
import { CoreError, loadCore } from '../core/instance.ts';
import { PackCore } from '../core/pack.ts';
import { fileSource } from './file-source.ts';

const data = workerData as {
  module: WebAssembly.Module;
  packPath: string;
  table: Uint8Array | null;
  count: number;
  cacheLimit: number;
  memoryLimit: number;
};
const { module, packPath, count, cacheLimit, memoryLimit } = data;
const port = parentPort!;

function reply(err: unknown): void {
  const e = err as Error;
  port.postMessage({ type: 'error', message: e.message, code: err instanceof CoreError ? err.code : -1, offset: err instanceof CoreError ? err.offset : undefined });
}

try {
  const core = await loadCore({ module });
  const pc = new PackCore(core);
  pc.loadTable(data.table!, count);
  data.table = null; // the core has its copy: let this one go
  const fd = openSync(packPath, 'r');
  pc.resolveBegin(fileSource(fd), { cacheLimit, memoryLimit, record: true });
  port.on('message', (m: { type: 'batch'; roots: Uint32Array; store: Uint8Array }) => {
    try {
      const resolved = pc.resolveList(m.roots, m.store);
      const records = pc.records();
      port.postMessage({ type: 'done', resolved, records }, [records.buffer as ArrayBuffer]);
    } catch (err) {
      reply(err);
    }
  });
  port.once('close', () => closeSync(fd));
  port.postMessage({ type: 'ready' });
} catch (err) {
  reply(err);
}

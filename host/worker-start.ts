// Starting one of wasmgit's worker threads (pack/resolve-worker, checkout/
// write-worker): from the bundle's folder once built (dist/cli/, dist/ or the
// worker's own folder), or from the sources, where the TypeScript loader
// (tsx) the main thread runs under has to be registered in the worker too (a
// worker does not inherit loader hooks).
import type { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtin } from './builtins.ts';

export function startWorker(dir: 'pack' | 'checkout', name: string, workerData: unknown): Worker {
  // This file's URL from the sources; the bundle's once built (esbuild inlines it per output file).
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${dir}/${name}.ts`, here).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new (builtin.workerThreads().Worker)(boot, { eval: true, workerData });
  }
  for (const rel of [`./${dir}/${name}.js`, `../${dir}/${name}.js`, `./${name}.js`]) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return new (builtin.workerThreads().Worker)(url, { workerData });
  }
  throw new Error(`wasmgit: ${dir}/${name}.js not found next to the bundle`);
}

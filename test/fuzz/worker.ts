// Runs one target's fuzz loop inside a worker thread, so that the main thread
// can watch it: before each input the worker copies it into shared memory and
// ticks a counter; a counter that stops moving is a hang the watchdog kills.
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loop } from './engine.ts';
import { targets } from './targets/index.ts';
import { HEAD, type WorkerJob } from './protocol.ts';


// Stack traces (source-mapped by the TypeScript loader) cost more than the inputs: errors here are answers.
Error.stackTraceLimit = 0;
const job = workerData as WorkerJob;
const head = new Int32Array(job.shared, 0, 4);
const bytes = new Uint8Array(job.shared, HEAD);
const module = new WebAssembly.Module(readFileSync(fileURLToPath(new URL(`../../build/${job.wasm}`, import.meta.url))));
const stats = loop({
  target: targets[job.target],
  module,
  corpus: job.corpus,
  seed: job.seed,
  start: job.start,
  iterations: job.iterations,
  deadline: job.deadline,
  onInput(iteration, input, runSeed) {
    const n = Math.min(input.length, bytes.length);
    bytes.set(input.subarray(0, n));
    head[1] = iteration;
    head[2] = n;
    head[3] = runSeed | 0;
    Atomics.add(head, 0, 1);
  },
  onNew: (input) => parentPort!.postMessage({ type: 'new', input }),
  onFailure: (f) => parentPort!.postMessage({ type: 'failure', failure: f }),
});
parentPort!.postMessage({ type: 'done', stats });

// Runs a target's fuzz loop in a worker under a watchdog, and collects what it
// finds. A hang (no new input for timeoutMs) or a crashed worker is itself a
// failure: the input that was running is read from shared memory, the worker is
// replaced, and the loop resumes with the next iteration and the same corpus.
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fnv1a } from './prng.ts';
import { seeds } from './seeds.ts';
import { targets } from './targets/index.ts';
import { HEAD, type WorkerJob } from './protocol.ts';
import type { FoundFailure, LoopStats } from './engine.ts';

export const corpusRoot = fileURLToPath(new URL('../corpus/', import.meta.url));
const MAX_INPUT = 8 << 20;

export interface FuzzOptions {
  target: string;
  seed: number;
  iterations?: number;
  seconds?: number;
  /** An input running longer than this is a hang. */
  timeoutMs?: number;
  /** 'wasmgit.wasm' (what ships) or 'wasmgit.debug.wasm' (with assertions). */
  wasm?: string;
  log?(line: string): void;
  /** Start from these inputs instead of the target's seeds and saved corpus. */
  corpus?: Uint8Array[];
}

export interface FuzzReport {
  target: string;
  iterations: number;
  signatures: number;
  corpus: number;
  failures: FoundFailure[];
  /** Failing inputs counted before de-duplication. */
  failingInputs: number;
}

/** Regression inputs kept under test/corpus/<target>/, named <hash>-<runSeed>.bin. */
export function corpusFiles(target: string): { name: string; data: Uint8Array; runSeed: number }[] {
  const dir = join(corpusRoot, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith('.bin')).sort().map((name) => {
    const m = /-([0-9a-f]{8})\.bin$/.exec(name);
    return { name, data: new Uint8Array(readFileSync(join(dir, name))), runSeed: m ? parseInt(m[1], 16) : fnv1a(readFileSync(join(dir, name))) };
  });
}

/** Saves a failing input for corpus.test.ts to replay; returns its path. */
export function saveFailure(target: string, f: FoundFailure): string {
  const dir = join(corpusRoot, target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${fnv1a(f.input).toString(16).padStart(8, '0')}-${(f.runSeed >>> 0).toString(16).padStart(8, '0')}.bin`);
  writeFileSync(path, f.input);
  return path;
}

export async function fuzzTarget(o: FuzzOptions): Promise<FuzzReport> {
  const target = targets[o.target];
  if (!target) throw new Error(`unknown fuzz target ${o.target} (have: ${Object.keys(targets).join(', ')})`);
  const base = o.corpus ?? [...target.seeds(await seeds()), ...corpusFiles(o.target).map((c) => c.data)];
  const adds: Uint8Array[] = [];
  const failures: FoundFailure[] = [];
  let failingInputs = 0;
  let iterations = 0;
  let signatures = 0;
  const deadline = o.seconds !== undefined ? Date.now() + o.seconds * 1000 : undefined;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const shared = new SharedArrayBuffer(HEAD + MAX_INPUT);
  const head = new Int32Array(shared, 0, 4);
  let start = 0;
  let corpus = base;

  for (;;) {
    const job: WorkerJob = { target: o.target, seed: o.seed, start, iterations: o.iterations, deadline, corpus, wasm: o.wasm ?? 'wasmgit.wasm', shared };
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: job });
    const outcome = await new Promise<{ done?: LoopStats; lost?: string }>((resolve) => {
      let last = Atomics.load(head, 0);
      let lastChange = Date.now();
      const timer = setInterval(() => {
        const now = Atomics.load(head, 0);
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > timeoutMs) {
          clearInterval(timer);
          resolve({ lost: `hang: one input ran longer than ${timeoutMs} ms` });
        }
      }, Math.min(500, timeoutMs / 4));
      worker.on('message', (m) => {
        if (m.type === 'new') adds.push(m.input);
        else if (m.type === 'failure') {
          failingInputs++;
          failures.push(m.failure);
          o.log?.(`${o.target}: FAILURE ${m.failure.kind}: ${m.failure.message} (${m.failure.input.length} bytes after minimising)`);
        } else if (m.type === 'done') {
          clearInterval(timer);
          resolve({ done: m.stats });
        }
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        resolve({ lost: `the worker died: ${e?.message ?? e}` });
      });
      worker.on('exit', () => {
        clearInterval(timer);
        resolve({ lost: 'the worker exited without reporting' });
      });
    });
    await worker.terminate();
    if (outcome.done) {
      iterations += outcome.done.iterations;
      signatures = Math.max(signatures, outcome.done.signatures);
      break;
    }
    // The input that was running when the worker hung or died.
    const iteration = head[1];
    const input = new Uint8Array(shared, HEAD, head[2]).slice();
    const failure: FoundFailure = { kind: outcome.lost!.startsWith('hang') ? 'hang' : 'crash', message: outcome.lost!, input, runSeed: head[3] >>> 0, iteration };
    failures.push(failure);
    failingInputs++;
    o.log?.(`${o.target}: FAILURE ${failure.kind} at iteration ${iteration}: ${failure.message}`);
    if (iteration < 0) {
      // A seed itself: drop it and start over without it.
      corpus = corpus.filter((c) => fnv1a(c) !== fnv1a(input));
      start = 0;
    } else {
      iterations += iteration + 1 - start;
      start = iteration + 1;
      corpus = [...base, ...adds];
    }
    if (o.iterations !== undefined && start >= o.iterations) break;
    if (deadline !== undefined && Date.now() >= deadline) break;
  }
  return { target: o.target, iterations, signatures, corpus: base.length + adds.length, failures, failingInputs };
}

// What wasmgit's worker threads are sent and send back carries bytes as whole
// (Shared)ArrayBuffers, never typed-array views: Deno's node:worker_threads
// serializes a view element by element (~100 ms per MiB), which starved the
// delta resolution thread of a 100k-object pack for seconds and tripled its
// memory. Checked under Node by watching every message of a two-thread
// index-pack and of a checkout large enough for its writer thread (with a file
// larger than a batch slot); test/runtimes/cli.test.ts runs both under Deno.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import { builtin } from '../../host/builtins.ts';
import { indexPackFile } from '../../host/pack/index-pack.ts';
import { clone } from '../../host/clone.ts';
import { makeFastImportPack } from '../helpers/runtimes.ts';
import { tempDir } from '../helpers/git.ts';
import { FastImport, git, gitEnv } from '../clone/fixture.ts';

const test = suite('worker thread messages carry buffers, not views');

/** Paths of the typed-array views inside `v`. */
function views(v: unknown, path: string, out: string[], depth = 0): void {
  if (ArrayBuffer.isView(v)) out.push(`${path} (${v.constructor.name})`);
  else if (v && typeof v === 'object' && depth < 6 && !(v instanceof ArrayBuffer) && !(v instanceof SharedArrayBuffer) && !(v instanceof WebAssembly.Module)) {
    for (const [k, x] of Object.entries(v)) views(x, `${path}.${k}`, out, depth + 1);
  }
}

const found: string[] = [];
let messages = 0;
let started = 0;
const real = builtin.workerThreads;

test.before(() => {
  builtin.workerThreads = () => {
    const m = real();
    class Watched extends m.Worker {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(url, opts);
        started++;
        views(opts?.workerData, 'workerData', found);
        this.on('message', (x) => {
          messages++;
          views(x, 'reply', found);
        });
      }
      override postMessage(v: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
        messages++;
        views(v, 'message', found);
        super.postMessage(v, transfer);
      }
    }
    return { ...m, Worker: Watched };
  };
});

test.after(() => {
  builtin.workerThreads = real;
});

test('index-pack with a resolution thread doing all of pass 2: the table, batches, records and findings', async () => {
  const t = tempDir('worker-messages-pack');
  try {
    makeFastImportPack(t.dir, 'p', 3000);
    const before = { messages, started };
    const r = await indexPackFile(join(t.dir, 'p.pack'), { threads: 2, mainThread: false, strict: {} });
    assert.ok(r.deltas > 0);
    assert.ok(Buffer.from(r.idx).equals(readFileSync(join(t.dir, 'p.idx'))), "the .idx is git's");
    assert.ok(started > before.started, 'a worker was started');
    assert.ok(messages - before.messages >= 4, `messages seen: ${messages - before.messages}`);
    assert.equal(found, []);
  } finally {
    t.cleanup();
  }
});

test('a checkout of 2,100 files with its writer thread, one file larger than a slot', async () => {
  const t = tempDir('worker-messages-checkout');
  try {
    const src = join(t.dir, 'src.git');
    git(t.dir, ['init', '-q', '--bare', '-b', 'main', src]);
    const f = new FastImport();
    const changes = [`M 100644 :${f.blob('big\n'.repeat(100_000))} big.txt`];
    for (let i = 0; i < 2100; i++) changes.push(`M 100644 :${f.blob(`file ${i}\n`)} d${i % 30}/f${i}.txt`);
    f.commit('refs/heads/main', 'wide', changes);
    f.run(src);
    const before = { messages, started };
    const r = await clone({ repository: src, directory: join(t.dir, 'out'), env: gitEnv, cwd: t.dir });
    assert.is(r.files, 2101);
    assert.is(git(join(t.dir, 'out'), ['status', '--porcelain']), '');
    assert.ok(started > before.started, 'the writer thread was started');
    assert.ok(messages - before.messages >= 2, `messages seen: ${messages - before.messages}`);
    assert.equal(found, []);
  } finally {
    t.cleanup();
  }
});

test.run();

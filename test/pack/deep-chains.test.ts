// Delta chains thousands deep, and delta trees of thousands of objects: the
// resolver's frame stack (one frame per level) and a worker's records (one per
// delta of a batch) start small and grow as the walk needs them. Growing takes
// memory from the heap where the base arena begins, so the arena's contents are
// dropped and rebuilt; the .idx must still be git's, on one thread and two.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPackFile } from '../../host/pack/index-pack.ts';
import { git, tempDir } from '../helpers/git.ts';

const { dir, cleanup } = tempDir('deep-chains');
const repo = join(dir, 'repo.git');
git(dir, ['init', '-q', '--bare', '-b', 'main', repo]);
// One file edited 3000 times: its versions chain as deltas of one another.
{
  const lines = Array.from({ length: 60 }, (_, j) => `line ${j}`);
  const parts: string[] = [];
  for (let c = 0; c < 3000; c++) {
    lines[c % 60] = `line ${c % 60} edited by commit ${c}`;
    const data = lines.join('\n') + '\n';
    parts.push(`commit refs/heads/main\ncommitter T <t@example.com> ${1_600_000_000 + c} +0000\ndata 2\nc\nM 100644 inline f.txt\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  git(repo, ['fast-import', '--quiet'], { input: parts.join('') });
  git(repo, ['-c', 'pack.threads=1', 'repack', '-a', '-d', '-f', '-q', '--depth=4095', '--window=10']);
}
const packDir = join(repo, 'objects', 'pack');
const pack = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.pack'))!);
const expected = readFileSync(pack.replace(/\.pack$/, '.idx'));

/** The deepest delta chain in the pack, as git verify-pack -v reports it. */
function deepestChain(): number {
  const out = git(dir, ['verify-pack', '-v', pack]);
  let deepest = 0;
  for (const m of out.matchAll(/^chain length = (\d+):/gm)) deepest = Math.max(deepest, Number(m[1]));
  return deepest;
}

test('the pack has chains deeper than the first frame stack (1024)', () => {
  const deepest = deepestChain();
  assert.ok(deepest > 1024, `deepest chain ${deepest}`);
});

test('one thread: the same .idx as git', async () => {
  const r = await indexPackFile(pack, { threads: 1 });
  assert.ok(Buffer.from(r.idx).equals(expected));
});

test('one thread, a base budget of 64 KiB: bases dropped and rebuilt, the same .idx', async () => {
  const r = await indexPackFile(pack, { threads: 1, cacheLimit: 64 << 10 });
  assert.ok(Buffer.from(r.idx).equals(expected));
});

test('two worker threads, the main thread idle: records grow past a batch of 1024, the same .idx', async () => {
  const r = await indexPackFile(pack, { threads: 3, mainThread: false });
  assert.ok(r.resolvedInWorkers === r.deltas && r.deltas > 2048, `${r.resolvedInWorkers} of ${r.deltas} deltas resolved in workers`);
  assert.ok(Buffer.from(r.idx).equals(expected));
});

test.after(cleanup);
test.run();

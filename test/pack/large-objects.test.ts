// A 50 MB incompressible file, edited once, so one 50 MB object is the delta
// base of the other: pass 1 streams it through a 256 KiB window, pass 2 holds
// base and result (past the 96 MiB base budget together). The .idx must match
// git's on 1 and 2 threads; under a memory cap too small for them, the error
// names the object.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexPackFile } from '../../host/pack/index-pack.ts';
import { CoreError } from '../../host/core/instance.ts';
import { git, tempDir } from '../helpers/git.ts';
import { makeHistory, repackOfs } from '../helpers/history.ts';
import { listEntries } from '../helpers/pack-edit.ts';

const BIG = 50 * 1000 * 1000;
const { dir, cleanup } = tempDir('large-objects');
const repo = join(dir, 'repo');
mkdirSync(repo);
makeHistory(repo, { commits: 30, textFiles: 2, binaryFiles: 1, bigFile: BIG, seed: 5 });
const pack = repackOfs(repo);
const idxPath = join(dir, 'git.idx');
git(dir, ['index-pack', '-o', idxPath, pack]);
const expected = readFileSync(idxPath);
const listed = listEntries(dir, pack.replace(/\.pack$/, '.idx'));

test('git stored one 50 MB version whole and the other as a delta on it', () => {
  const whole = listed.find((e) => !e.baseId && e.size >= BIG);
  assert.ok(whole, 'a whole 50 MB object');
  assert.ok(listed.some((e) => e.baseId === whole!.id), 'a delta on it');
});

test(".idx equals git index-pack's, 1 thread", async () => {
  const r = await indexPackFile(pack, { threads: 1 });
  assert.ok(Buffer.from(r.idx).equals(expected));
});

test(".idx equals git index-pack's, resolved in a worker thread", async () => {
  const r = await indexPackFile(pack, { threads: 2, mainThread: false });
  assert.ok(Buffer.from(r.idx).equals(expected));
  assert.is(r.resolvedInWorkers, r.deltas);
});

test('a memory cap too small for a 50 MB base and its result: an error naming the object', async () => {
  try {
    await indexPackFile(pack, { threads: 1, memoryLimit: 64 << 20 });
    assert.unreachable('must fail');
  } catch (err) {
    assert.instance(err, CoreError);
    const e = err as CoreError;
    assert.match(e.message, /object at offset \d+ \(\d+ bytes\) is too large to resolve in memory \(limit 67108864 bytes\)/);
    const named = listed.find((x) => x.offset === e.offset);
    assert.ok(named && (named.size >= BIG || named.baseId), `the offset names a big object or its delta: ${e.message}`);
  }
});

test.after(cleanup);
test.run();

// A pack over 4 GiB (random, incompressible blobs): offsets past 2^32 in every
// table, the .idx large offset table, objects streamed through pass 1's window.
// Takes minutes, so it runs only with WASMGIT_LARGE_TESTS=1 (the index-pack
// benchmark's --large run covers it too, with peak RSS).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { indexPackFile } from '../../host/pack/index-pack.ts';
import { git, tempDir } from '../helpers/git.ts';
import { makeRandomBlobPack } from '../helpers/history.ts';
import { skipWithReason } from '../helpers/skip.ts';

if (process.env.WASMGIT_LARGE_TESTS !== '1') {
  skipWithReason(test, 'a pack over 4 GiB indexes as git does', 'set WASMGIT_LARGE_TESTS=1 to run it (several minutes, ~9 GiB of disk)');
} else {
  test('a pack over 4 GiB indexes as git does', async () => {
    const { dir, cleanup } = tempDir('large-pack');
    try {
      const pack = await makeRandomBlobPack(join(dir, 'repo'), 4.2 * 2 ** 30);
      assert.ok(statSync(pack).size > 2 ** 32, 'the pack is over 4 GiB');
      const idx = join(dir, 'git.idx');
      git(dir, ['index-pack', '-o', idx, pack]);
      const r = await indexPackFile(pack, { threads: 2 });
      assert.ok(Buffer.from(r.idx).equals(readFileSync(idx)), 'idx bytes equal');
    } finally {
      cleanup();
    }
  });
}

test.run();

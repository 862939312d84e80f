// The seed scenario: a filesystem where shared memory maps are impossible.
//
// A FUSE passthrough with direct_io (test/fixtures/fuse/passthrough.c) behaves
// like virtiofs with cache=never: mmap(MAP_SHARED) of a file fails with ENODEV.
// git still clones into it (it maps packs privately). wasmgit maps nothing: it
// reads packs with positioned reads and writes files with write(), so its
// clone and checkout there must give what git gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkout } from '../../host/checkout/checkout.ts';
import { git, tempDir } from '../helpers/git.ts';
import { buildFuseTools, fuseDeviceMissing, MountUnavailable, withPassthrough } from '../helpers/fuse.ts';
import { skipWithReason } from '../helpers/skip.ts';
import { g, makeSampleRepo, packsOf } from './make-repo.ts';

const tmp = tempDir('fuse');
const backing = join(tmp.dir, 'backing');
const mnt = join(tmp.dir, 'mnt');
mkdirSync(backing);
mkdirSync(mnt);

let unavailable = fuseDeviceMissing();
let tools: { passthrough: string; probe: string } | undefined;
let buildError: Error | undefined;
if (!unavailable) {
  try {
    tools = buildFuseTools(tmp.dir);
  } catch (err) {
    buildError = err as Error;
  }
  if (tools) {
    try {
      await withPassthrough(tools.passthrough, backing, mnt, () => {});
    } catch (err) {
      if (!(err instanceof MountUnavailable)) throw err;
      unavailable = err.message;
    }
  }
}

const names = [
  'mmap(MAP_SHARED) of a file there fails with ENODEV; MAP_PRIVATE works',
  'git clone into it works and git fsck is clean',
  'wasmgit checks out there what git clone checks out, reading the pack without mapping it',
  'wasmgit clone into it: the repository git clone makes, git fsck clean',
];
const cli = fileURLToPath(new URL('../../dist/cli/wasmgit.js', import.meta.url));

if (unavailable) {
  for (const n of names) skipWithReason(test, n, unavailable);
} else if (buildError) {
  test('the passthrough filesystem and the mmap probe build (gcc, pkg-config fuse3)', () => {
    const e = buildError as Error & { stderr?: Buffer };
    assert.unreachable(`${e.message}\n${e.stderr?.toString() ?? ''}`);
  });
} else {
  const { passthrough, probe } = tools!;
  const src = makeSampleRepo(join(tmp.dir));
  const ref = join(tmp.dir, 'ref');
  g(tmp.dir, ['clone', '-q', src, ref]);

  test(names[0], async () => {
    await withPassthrough(passthrough, backing, mnt, () => {
      writeFileSync(join(mnt, 'probe.txt'), 'some bytes\n');
      assert.is(execFileSync(probe, [join(mnt, 'probe.txt')], { encoding: 'utf8' }).trim(), 'shared ENODEV private ok');
    });
    // The same file on the backing filesystem maps either way.
    assert.is(execFileSync(probe, [join(backing, 'probe.txt')], { encoding: 'utf8' }).trim(), 'shared ok private ok');
  });

  test(names[1], async () => {
    await withPassthrough(passthrough, backing, mnt, () => {
      const dst = join(mnt, 'git-clone');
      g(mnt, ['clone', '-q', src, dst]);
      git(dst, ['fsck', '--full', '--strict', '--no-dangling']);
      assert.is(git(dst, ['status', '--porcelain']), '');
    });
  });

  test(names[2], async () => {
    await withPassthrough(passthrough, backing, mnt, async () => {
      // git makes the repository (objects, refs) on the mount; wasmgit reads
      // the pack from the mount and writes the work tree and index there.
      const dst = join(mnt, 'wasmgit-checkout');
      g(mnt, ['clone', '-q', '--no-checkout', '--no-local', src, dst]);
      const tree = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
      const res = await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: tree, packs: packsOf(join(dst, '.git')) });
      assert.ok(res.files > 20);
      assert.is(git(dst, ['status', '--porcelain']), '');
      assert.is(git(dst, ['diff-files']), '');
      assert.is(git(dst, ['ls-files', '-s']), git(ref, ['ls-files', '-s']));
      const diff = spawnSync('diff', ['-r', '--no-dereference', '-x', '.git', ref, dst], { encoding: 'utf8' });
      assert.is(diff.status, 0, diff.stdout + diff.stderr);
      git(dst, ['fsck', '--full', '--strict', '--no-dangling']);
    });
  });

  test(names[3], async () => {
    await withPassthrough(passthrough, backing, mnt, () => {
      // file:// goes through upload-pack: the pack is received, indexed and
      // checked out by wasmgit, every byte written to the mount.
      const url = `file://${src}`;
      const ours = join(mnt, 'wasmgit-clone');
      const theirs = join(mnt, 'git-clone-2');
      const run = spawnSync(process.execPath, [cli, 'clone', '-q', url, ours], { encoding: 'utf8' });
      assert.is(run.status, 0, `wasmgit clone: ${run.stderr}`);
      g(mnt, ['clone', '-q', url, theirs]);
      git(ours, ['fsck', '--full', '--strict', '--no-dangling']);
      assert.is(git(ours, ['status', '--porcelain']), '');
      assert.is(git(ours, ['for-each-ref']), git(theirs, ['for-each-ref']));
      assert.is(git(ours, ['symbolic-ref', 'HEAD']), git(theirs, ['symbolic-ref', 'HEAD']));
      assert.is(git(ours, ['ls-files', '-s']), git(theirs, ['ls-files', '-s']));
      const diff = spawnSync('diff', ['-r', '--no-dereference', '-x', '.git', theirs, ours], { encoding: 'utf8' });
      assert.is(diff.status, 0, diff.stdout + diff.stderr);
      // A local path: the object files cannot be hardlinked onto the mount, so they are copied there.
      const local = join(mnt, 'wasmgit-local');
      const copied = spawnSync(process.execPath, [cli, 'clone', '-q', src, local], { encoding: 'utf8' });
      assert.is(copied.status, 0, `wasmgit clone of a path: ${copied.stderr}`);
      git(local, ['fsck', '--full', '--strict', '--no-dangling']);
      assert.is(git(local, ['status', '--porcelain']), '');
      assert.is(git(local, ['ls-files', '-s']), git(theirs, ['ls-files', '-s']));
    });
  });
}

test.after(() => tmp.cleanup());
test.run();

// wasmgit verify-pack against git verify-pack: silent success without -v, the
// listing and "<pack>: ok" with -v, and for an .idx that does not match its
// pack (one byte changed), the same listing, "<pack>: bad" and status 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitEnv, tempDir } from '../helpers/git.ts';
import { makeHistory, repackOfs } from '../helpers/history.ts';
import { wasmgit } from '../helpers/cli.ts';

const { dir, cleanup } = tempDir('verify-pack');
const repo = join(dir, 'repo');
mkdirSync(repo);
makeHistory(repo, { commits: 60, seed: 3 });
const src = repackOfs(repo);
const pack = join(dir, 'p.pack');
const idx = join(dir, 'p.idx');
copyFileSync(src, pack);
copyFileSync(src.replace(/\.pack$/, '.idx'), idx);
chmodSync(idx, 0o644);

function gitVerify(args: string[]) {
  const r = spawnSync('git', ['verify-pack', ...args], { cwd: dir, env: gitEnv, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

test('a good pack: no output without -v, the same listing as git with -v', () => {
  const quiet = wasmgit(['verify-pack', idx]);
  assert.is(quiet.status, 0, quiet.stderr);
  assert.is(quiet.stdout, '');
  const v = wasmgit(['verify-pack', '-v', idx]);
  assert.is(v.stdout, git(dir, ['verify-pack', '-v', idx]));
  assert.match(v.stdout, /p\.pack: ok\n$/);
});

test('an .idx with one byte changed: the listing, then "<pack>: bad", status 1, as git', () => {
  const bytes = readFileSync(idx);
  bytes[8 + 1024 + 20 * 5] ^= 0xff; // inside the sorted ids
  writeFileSync(idx, bytes);
  const g = gitVerify(['-v', idx]);
  const w = wasmgit(['verify-pack', '-v', idx]);
  assert.is(g.status, 1);
  assert.is(w.status, 1);
  assert.is(w.stdout, g.stdout);
  assert.match(w.stdout, /p\.pack: bad\n$/);
  assert.match(w.stderr, /fatal: .*p\.idx does not match the index of .*p\.pack: first difference at byte 1132/);
});

test.after(cleanup);
test.run();

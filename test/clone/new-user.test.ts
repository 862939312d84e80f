// Tried as a new user would: the npm tarball installed into an empty folder,
// `npx wasmgit clone` against a smart-HTTP server and a local path, and then the
// everyday git commands on the result (log, status, pull, push).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpServer } from '../helpers/servers.ts';
import { git, gitAsync, gitEnv, serveFixture, type Fixture } from './fixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let fx: Fixture;
let server: HttpServer;
let dir: string;
let close: () => Promise<void>;

function npx(args: string[], env: NodeJS.ProcessEnv = gitEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['--no-install', 'wasmgit', ...args], { cwd: dir, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test.before(async () => {
  ({ fx, server, work: dir, close } = await serveFixture('new-user'));
  const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
  execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(dir, tgz)], { cwd: dir, stdio: 'pipe' });
});

test.after(() => close());

test('npx wasmgit clone http://… shows git\'s progress and leaves a repository git works in', async () => {
  const r = await npx(['clone', '--progress', server.url('repo.git')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Cloning into 'repo'\.\.\.\n/);
  assert.match(r.stderr, /remote: Enumerating objects/);
  assert.match(r.stderr, /Receiving objects: 100% \((\d+)\/\1\).*, done\.\n/);
  assert.match(r.stderr, /Resolving deltas: 100% \((\d+)\/\1\), done\.\n/);
  const repo = join(dir, 'repo');
  assert.match(git(repo, ['log', '--oneline', '-3']), /commit 79/);
  assert.is(git(repo, ['status', '--porcelain']), '');
  assert.match(git(repo, ['status']), /Your branch is up to date with 'origin\/main'/);

  // pull: a new commit on the server arrives through the remote-tracking config the clone wrote.
  const other = join(dir, 'other');
  await gitAsync(dir, ['clone', '-q', fx.path('repo.git'), other]);
  writeFileSync(join(other, 'pulled.txt'), 'new\n');
  git(other, ['add', 'pulled.txt']);
  git(other, ['commit', '-qm', 'to be pulled']);
  git(other, ['push', '-q', 'origin', 'main']);
  await gitAsync(repo, ['pull', '-q', '--ff-only']);
  assert.match(git(repo, ['log', '--oneline', '-1']), /to be pulled/);

  // push: to a local bare remote, as a user adding a second remote would.
  const bare = join(dir, 'pushed.git');
  git(dir, ['init', '-q', '--bare', bare]);
  git(repo, ['remote', 'add', 'backup', bare]);
  writeFileSync(join(repo, 'mine.txt'), 'mine\n');
  git(repo, ['add', 'mine.txt']);
  git(repo, ['commit', '-qm', 'mine']);
  git(repo, ['push', '-q', 'backup', 'main']);
  assert.is(git(bare, ['rev-parse', 'main']), git(repo, ['rev-parse', 'HEAD']));
  assert.is(git(bare, ['fsck', '--full', '--strict']), '');
});

test('npx wasmgit clone /path/to/repo works with no git on PATH', async () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const npxPath = execFileSync('which', ['npx'], { encoding: 'utf8' }).trim();
  symlinkSync(npxPath, join(bin, 'npx'));
  symlinkSync('/bin/sh', join(bin, 'sh')); // npx runs the bin through sh
  assert.throws(() => execFileSync('git', ['--version'], { env: { PATH: bin } }), /ENOENT/, 'no git on this PATH');
  const env = { ...gitEnv, PATH: bin };
  const r = await npx(['clone', fx.path('repo.git'), 'local'], env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, "Cloning into 'local'...\ndone.\n");
  assert.is(git(join(dir, 'local'), ['status', '--porcelain']), '');
  assert.is(git(join(dir, 'local'), ['fsck', '--full', '--strict']), '');
});

test('npx wasmgit clone --help, an unknown option (129) and a missing repository (128)', async () => {
  const help = await npx(['clone', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /usage: wasmgit clone \[<options>\] \[--\] <repo> \[<dir>\]/);
  for (const o of ['--branch', '--depth', '--filter', '--mirror', '--recurse-submodules', '--single-branch', '--shallow-since', '--shallow-exclude', '--no-tags', '--config', '--origin', '--progress']) {
    assert.ok(help.stdout.includes(o), o);
  }
  const unknown = await npx(['clone', '--frobnicate', 'x']);
  assert.is(unknown.code, 129);
  assert.match(unknown.stderr, /unknown option `frobnicate'/);
  const missing = await npx(['clone', server.url('missing.git')]);
  assert.is(missing.code, 128);
  assert.match(missing.stderr, /^Cloning into 'missing'\.\.\.\nfatal: repository '.*missing\.git\/?' not found\n$/);
});

test.run();

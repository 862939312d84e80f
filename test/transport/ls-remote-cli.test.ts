// `wasmgit ls-remote` prints exactly what `git ls-remote` prints, options and
// patterns included, and fails like git (exit 128, `fatal: …`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitLsRemote, makeServedRoot, tempDir, testEnv } from '../helpers/remote-repos.ts';
import { startHttpServer } from '../helpers/servers.ts';

const tmp = tempDir('ls-remote');
const { repo } = makeServedRoot(tmp.dir);
const root = fileURLToPath(new URL('../..', import.meta.url));

function wasmgit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(root, 'host/cli/wasmgit.ts'), ...args], { cwd: root, env: testEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

// Each run starts a Node process: a few combinations cover every option.
for (const [what, url, combos] of [
  ['a plain path', repo, [[], ['--symref', '--heads'], ['--tags', '--refs'], ['-h', '-t'], ['-qh']]],
  ['a file:// URL', `file://${repo}`, [['--symref']]],
] as const) {
  test(`${what}: output matches git ls-remote`, async () => {
    for (const opts of combos as readonly (readonly string[])[]) {
      const ours = await wasmgit(['ls-remote', ...opts, url]);
      assert.is(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout.split('\n').filter(Boolean), await gitLsRemote(url, testEnv, [...opts]), opts.join(' '));
    }
    const ours = await wasmgit(['ls-remote', url, 'main', 'v0.*']);
    assert.equal(ours.stdout.split('\n').filter(Boolean), (await gitLsRemote(url, testEnv, [])).filter((l) => /\t(refs\/heads\/main|refs\/tags\/v0\..*)$/.test(l)));
    assert.ok(ours.stdout.includes('refs/tags/v0.2^{}'));
    // A peeled line is matched by its own name, as git matches it.
    for (const pattern of ['v0.2', 'tags/v0.2', 'v0.2^{}']) {
      const mine = await wasmgit(['ls-remote', url, pattern]);
      const theirs = spawnSync('git', ['ls-remote', url, pattern], { env: testEnv, encoding: 'utf8' });
      assert.is(mine.stdout, theirs.stdout, pattern);
    }
  });
}

test('--sort: refname and version:refname, reversed, several keys, with --symref: the order git ls-remote prints', async () => {
  // Tags whose version order differs from byte order, on a repository of their own.
  const sorted = join(tmp.dir, 'sorted');
  const g = (args: string[]) => spawnSync('git', args, { cwd: sorted, env: testEnv, encoding: 'utf8' });
  spawnSync('git', ['init', '-q', '-b', 'main', sorted], { env: testEnv });
  g(['commit', '-q', '--allow-empty', '-m', 'one']);
  for (const t of ['v1.9', 'v1.10', 'v1.01', 'v1.001', 'v2.0-rc1', 'v2.0', 'v10', 'v1.0.1', 'a01', 'a010']) g(['tag', '-a', '-m', t, t]);
  for (const t of ['v2.0-beta2', 'v2.0-beta10', 'v2.0-pre']) g(['tag', t]);
  // With versionsort.suffix (or the older prereleaseSuffix: git warns when both are set).
  const suffixes = ['-c', 'versionsort.suffix=-pre', '-c', 'versionsort.suffix=-rc', '-c', 'versionsort.suffix=-beta'];
  const older = ['-c', 'versionsort.prereleaseSuffix=-beta'];
  for (const opts of [['--sort=-v:refname'], ['--tags', '--sort=version:refname'], ['--sort=refname', '--sort=-version:refname'], ['--symref', '--sort=-refname'], [...suffixes, '--sort=version:refname'], [...older, '--sort=-v:refname'], [...suffixes, ...older, '--sort=v:refname']]) {
    const at = opts.findIndex((o) => o.startsWith('--'));
    const ours = await wasmgit([...opts.slice(0, at), 'ls-remote', ...opts.slice(at), sorted]);
    const theirs = spawnSync('git', [...opts.slice(0, at), 'ls-remote', ...opts.slice(at), sorted], { env: testEnv, encoding: 'utf8' });
    assert.is(ours.code, 0, ours.stderr);
    assert.is(ours.stdout, theirs.stdout, opts.join(' '));
    assert.is(ours.stderr, theirs.stderr, opts.join(' '));
  }
  const bad = await wasmgit(['ls-remote', '--sort=no-such-field', sorted]);
  assert.is(bad.code, 128);
  assert.is(bad.stderr, spawnSync('git', ['ls-remote', '--sort=no-such-field', sorted], { env: testEnv, encoding: 'utf8' }).stderr);
});

test("a repository that is not there: exit 128 and git's words; --exit-code gives 2 when nothing matches", async () => {
  const missing = join(tmp.dir, 'missing');
  mkdirSync(join(tmp.dir, 'no-repo-here'), { recursive: true });
  for (const path of [missing, join(tmp.dir, 'no-repo-here')]) {
    const r = await wasmgit(['ls-remote', path]);
    const theirs = spawnSync('git', ['ls-remote', path], { encoding: 'utf8' });
    assert.is(r.code, 128);
    assert.is(r.stderr, theirs.stderr, path);
  }
  const none = await wasmgit(['ls-remote', '--exit-code', repo, 'no-such-ref']);
  assert.is(none.code, 2);
  assert.is(none.stdout, '');
});

test("a protocol.version git does not know: exit 128 and git's words, for ls-remote and clone, over a path and file://", async () => {
  for (const url of [repo, `file://${repo}`]) {
    for (const args of [['ls-remote', url], ['clone', '-q', url, join(tmp.dir, 'never-made')]]) {
      const ours = await wasmgit(['-c', 'protocol.version=3', ...args]);
      const theirs = spawnSync('git', ['-c', 'protocol.version=3', ...args], { env: testEnv, encoding: 'utf8' });
      assert.is(theirs.status, 128, theirs.stderr);
      assert.is(ours.code, 128, ours.stderr);
      assert.is(ours.stderr, theirs.stderr, `${args.join(' ')}`);
    }
  }
});

test('--server-option over HTTP answered in protocol v0: dropped, as git\'s HTTP helper drops them (git://, file:// refuse them)', async () => {
  const server = await startHttpServer({ root: dirname(repo), protocolV0Only: true });
  try {
    const url = server.url(basename(repo));
    const ours = await wasmgit(['ls-remote', '-o', 'x', url]);
    assert.is(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout.split('\n').filter(Boolean), await gitLsRemote(url, testEnv, ['-o', 'x']));
    const cloned = await wasmgit(['clone', '-q', '--server-option=x', url, join(tmp.dir, 'server-option-v0')]);
    assert.is(cloned.code, 0, cloned.stderr);
    assert.is(cloned.stderr, '');
  } finally {
    await server.close();
  }
});

test("protocol.<name>.allow refusing the transport: exit 128 and git's words", async () => {
  for (const url of [repo, `file://${repo}`]) {
    const ours = await wasmgit(['-c', 'protocol.file.allow=never', 'ls-remote', url]);
    const theirs = spawnSync('git', ['-c', 'protocol.file.allow=never', 'ls-remote', url], { env: testEnv, encoding: 'utf8' });
    assert.is(theirs.status, 128, theirs.stderr);
    assert.is(ours.code, 128, ours.stderr);
    assert.is(ours.stderr, theirs.stderr, url);
    assert.is(ours.stdout, '');
  }
});

test.after(() => tmp.cleanup());

test.run();

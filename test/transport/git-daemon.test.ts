// git:// against a real `git daemon`: v2 (asked for with the extra parameter) and
// v0, refs matching git ls-remote, complete packs, shallow fetches; a repository the
// daemon does not serve, nothing listening, and a connection cut mid-pack.
import { test } from 'uvu';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { openRemote } from '../../host/transport/index.ts';
import { formatLsRemote } from '../../host/cli/ls-remote.ts';
import { startDroppingRelay, startGitDaemon, type GitDaemon } from '../helpers/servers.ts';
import { collectingSink, failingFetchAll, gitLsRemote, makeServedRoot, tempDir, testEnv, verifyFetched, transportFailure, within } from '../helpers/remote-repos.ts';

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
const tmp = tempDir('daemon');
const { root } = makeServedRoot(tmp.dir);
let daemon: GitDaemon;

test.before(async () => {
  daemon = await startGitDaemon({ root });
});

for (const version of ['2', '0']) {
  test(`protocol v${version}: refs match git ls-remote; the pack is complete; depth=1 gives shallow lines`, async () => {
    const url = daemon.url('repo.git');
    const config = new Map([['protocol.version', version]]);
    const remote = await openRemote(url, { env: testEnv, config });
    try {
      const adv = await within(20_000, 'advertise', remote.advertise());
      assert.is(adv.protocol, Number(version));
      assert.is(adv.headTarget, 'refs/heads/main');
      const gitEnv = { ...testEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: version };
      assert.equal(formatLsRemote(adv), await gitLsRemote(url, gitEnv));
      const sink = collectingSink();
      await within(30_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid) }, sink));
      const { objects } = verifyFetched(tmp.dir, sink.bytes(), adv.refs);
      for (const ref of adv.refs) assert.ok(objects.has(ref.oid));
      // A second fetch on the same remote: v2 reuses the connection, v0 opens another.
      const shallowSink = collectingSink();
      const main = adv.refs.filter((r) => r.name === 'refs/heads/main');
      const res = await within(30_000, 'shallow fetch', remote.fetch({ wants: main.map((r) => r.oid), depth: 1 }, shallowSink));
      assert.equal(res.shallow, [main[0].oid]);
      verifyFetched(tmp.dir, shallowSink.bytes(), main, { shallow: res.shallow });
    } finally {
      await remote.close();
    }
  });
}

test('clone -v: "Looking up" and "Connecting to" lines as git prints them, for a name and an address', async () => {
  for (const host of ['127.0.0.1', 'localhost']) {
    const url = daemon.url('repo.git').replace('127.0.0.1', host);
    const dest = (who: string) => `${tmp.dir}/verbose-${who}-${host}`;
    const run = (cmd: string, args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(cmd, args, { env: testEnv });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const theirs = await run('git', ['clone', '-v', url, dest('git')]);
    const ours = await run(process.execPath, ['--import', import.meta.resolve('tsx'), cli, 'clone', '-v', url, dest('ours')]);
    assert.is(ours.code, 0, ours.stderr);
    assert.is(ours.stderr.replace(dest('ours'), 'X'), theirs.stderr.replace(dest('git'), 'X'));
    assert.match(ours.stderr, new RegExp(`Looking up ${host} \\.\\.\\. done\\.\nConnecting to ${host} \\(port \\d+\\) \\.\\.\\. 127\\.0\\.0\\.1 done\\.`));
  }
});

test('a repository the daemon does not serve: remote-error with the daemon\'s words', async () => {
  const remote = await openRemote(daemon.url('nope.git'), { env: testEnv });
  const err = await transportFailure(() => remote.advertise());
  await remote.close();
  assert.is(err.kind, 'remote-error');
  assert.is(err.message, 'remote error: no such repository: /nope.git');
});

test('nothing listening: connection error "unable to connect"', async () => {
  const relay = await startDroppingRelay(daemon.port, 1);
  const port = relay.port;
  await relay.close();
  const remote = await openRemote(`git://127.0.0.1:${port}/repo.git`, { env: testEnv });
  const err = await transportFailure(() => remote.advertise());
  assert.is(err.kind, 'connection');
  // git's connect.c words: the host, then each address tried with its errno text.
  assert.is(err.message, `unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n`);
});

test('a connection cut in the middle of the pack: "the remote end hung up unexpectedly"', async () => {
  const relay = await startDroppingRelay(daemon.port, 80_000);
  try {
    const remote = await openRemote(`git://127.0.0.1:${relay.port}/repo.git`, { env: testEnv });
    const { err, sink } = await failingFetchAll(remote);
    assert.is(err.kind, 'connection');
    assert.match(err.message, /^the remote end hung up unexpectedly \(/);
    assert.ok(sink.bytes().length > 1_000, `part of the pack arrived (${sink.bytes().length} bytes)`);
  } finally {
    await relay.close();
  }
});

test.after(async () => {
  await daemon?.close();
  tmp.cleanup();
});

test.run();

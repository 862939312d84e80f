// ssh through a fake ssh program (it runs the remote command locally, as git's
// own test suite does): the arguments are git's (`-o SendEnv=GIT_PROTOCOL`,
// `-p <port>`, user@host, `git-upload-pack '<path>'` quoted like sq_quote),
// GIT_SSH_COMMAND runs through the shell and GIT_SSH directly, v2 and v0 both
// work, and failures say what the remote side said.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openRemote } from '../../host/transport/index.ts';
import { formatLsRemote } from '../../host/cli/ls-remote.ts';
import { fakeSshEnv } from '../helpers/servers.ts';
import { fetchAllVerified, git, gitLsRemote, makeServedRoot, tempDir, testEnv, transportFailure, within } from '../helpers/remote-repos.ts';

const tmp = tempDir('ssh');
const { root, repo } = makeServedRoot(tmp.dir);
// A path that needs quoting: a space, a single quote and an exclamation mark.
const odd = join(root, "it's a repo!.git");
git(root, ['clone', '-q', '--bare', repo, odd]);

const sshEnv = fakeSshEnv(testEnv);
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliPath = join(projectRoot, 'host/cli/wasmgit.ts');
const calls = () => readFileSync(sshEnv.WASMGIT_FAKE_SSH_LOG!, 'utf8').split('\n').filter(Boolean);
const resetCalls = () => writeFileSync(sshEnv.WASMGIT_FAKE_SSH_LOG!, '');

/** Fetches everything from `url` and checks the pack (and shallow list) with real git. */
const fetchAll = (url: string, env: NodeJS.ProcessEnv, config?: Map<string, string>) => fetchAllVerified(tmp.dir, url, env, { config });

test('scp-like host:path, protocol v2: SendEnv, the quoted command, refs match git ls-remote', async () => {
  resetCalls();
  const url = `git.example.org:${repo}`;
  const adv = await fetchAll(url, sshEnv);
  assert.is(adv.protocol, 2);
  assert.equal(calls(), [`-o SendEnv=GIT_PROTOCOL git.example.org git-upload-pack '${repo}'`]);
  assert.equal(formatLsRemote(adv), await gitLsRemote(url, sshEnv));
});

test('ssh://user@host:port/path with protocol v0: -p and user@host, no SendEnv', async () => {
  resetCalls();
  const adv = await fetchAll(`ssh://me@git.example.org:2222${repo}`, sshEnv, new Map([['protocol.version', '0']]));
  assert.is(adv.protocol, 0);
  assert.equal(calls(), [`-p 2222 me@git.example.org git-upload-pack '${repo}'`]);
});

test('a path with a quote, a space and a ! reaches upload-pack intact', async () => {
  resetCalls();
  const adv = await fetchAll(`ssh://git.example.org${odd}`, sshEnv);
  assert.ok(adv.refs.length > 0);
  assert.equal(calls(), [`-o SendEnv=GIT_PROTOCOL git.example.org git-upload-pack '${odd.replace("'", "'\\''").replace('!', "'\\!'")}'`]);
});

test('GIT_SSH is run directly, without a shell', async () => {
  resetCalls();
  const env = { ...sshEnv, GIT_SSH: sshEnv.GIT_SSH_COMMAND, GIT_SSH_COMMAND: undefined };
  const adv = await fetchAll(`git.example.org:${repo}`, env);
  assert.ok(adv.refs.length > 0);
  assert.is(calls().length, 1);
});

test('a path that is no repository: not-found, with upload-pack\'s words and git\'s closing lines', async () => {
  const err = await transportFailure(() => fetchAll(`git.example.org:${join(root, 'missing.git')}`, sshEnv));
  assert.is(err.kind, 'not-found');
  assert.match(err.message, /^'.*missing\.git' does not appear to be a git repository\nCould not read from remote repository\.\n\nPlease make sure you have the correct access rights\nand the repository exists\.$/);
});

test('the CLI relays what the remote side said, then git\'s own fatal line, as git clone prints them', () => {
  const url = `git.example.org:${join(root, 'missing.git')}`;
  const theirs = spawnSync('git', ['clone', '-q', url, join(tmp.dir, 'git-missing')], { env: sshEnv, encoding: 'utf8' });
  const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'host/cli/wasmgit.ts');
  const ours = spawnSync(process.execPath, ['--import', 'tsx', cli, 'clone', '-q', url, join(tmp.dir, 'ours-missing')], { env: sshEnv, encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.is(ours.status, 128);
  assert.is(theirs.status, 128);
  assert.is(ours.stderr, theirs.stderr);
  assert.match(ours.stderr, /^fatal: '.*missing\.git' does not appear to be a git repository\nfatal: Could not read from remote repository\./);
});

test("what ssh prints on stderr while a clone succeeds (a host-key warning) reaches stderr, with -q too, as with git", () => {
  // ssh's own warnings are the typical case: git lets the program's stderr through.
  const env = { ...sshEnv, GIT_SSH_COMMAND: `echo "Warning: Permanently added 'git.example.org' (ED25519) to the list of known hosts." >&2; ${sshEnv.GIT_SSH_COMMAND}` };
  const url = `git.example.org:${repo}`;
  const theirs = spawnSync('git', ['clone', '-q', url, join(tmp.dir, 'git-warned')], { env, encoding: 'utf8' });
  const ours = spawnSync(process.execPath, ['--import', 'tsx', cliPath, 'clone', '-q', url, join(tmp.dir, 'ours-warned')], { env, encoding: 'utf8', cwd: projectRoot });
  assert.is(ours.status, 0, ours.stderr);
  assert.is(theirs.status, 0, theirs.stderr);
  assert.match(ours.stderr, /Permanently added/);
  assert.is(ours.stderr, theirs.stderr);
});

test('-u/--upload-pack: the command git runs over ssh, for file:// and for a local path (on its git directory); stderr and result as git', () => {
  const wrapper = join(tmp.dir, 'my-upload-pack');
  writeFileSync(wrapper, '#!/bin/sh\necho "custom upload-pack for $1" >&2\nexec git-upload-pack "$@"\n', { mode: 0o755 });
  for (const [what, url, extra] of [
    ['ssh', `git.example.org:${repo}`, []],
    ['file://', `file://${repo}`, []],
    ['a local path', repo, []],
    ['ls-remote over ssh', `git.example.org:${repo}`, ['ls-remote']],
  ] as const) {
    const lsRemote = extra.length > 0;
    const args = (dir: string) => (lsRemote ? ['ls-remote', `--upload-pack=${wrapper}`, url] : ['clone', '-q', '-u', wrapper, url, join(tmp.dir, dir)]);
    resetCalls();
    const theirs = spawnSync('git', args(`git-u-${what}`), { env: sshEnv, encoding: 'utf8' });
    const ours = spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args(`ours-u-${what}`)], { env: sshEnv, encoding: 'utf8', cwd: projectRoot });
    assert.is(theirs.status, 0, theirs.stderr);
    assert.is(ours.status, 0, `${what}: ${ours.stderr}`);
    assert.match(ours.stderr, /custom upload-pack for /, what);
    assert.is(ours.stderr.replaceAll('ours-u-', 'git-u-'), theirs.stderr, what);
    if (lsRemote) assert.is(ours.stdout, theirs.stdout);
    else {
      assert.is(git(join(tmp.dir, `ours-u-${what}`), ['for-each-ref']), git(join(tmp.dir, `git-u-${what}`), ['for-each-ref']), what);
      assert.is(spawnSync('git', ['fsck', '--strict'], { cwd: join(tmp.dir, `ours-u-${what}`) }).status, 0, what);
    }
  }
  // A failing upload-pack that says nothing: git's closing lines alone.
  const theirs = spawnSync('git', ['clone', '-q', '-u', '/bin/false', `file://${repo}`, join(tmp.dir, 'git-u-false')], { env: sshEnv, encoding: 'utf8' });
  const ours = spawnSync(process.execPath, ['--import', 'tsx', cliPath, 'clone', '-q', '-u', '/bin/false', `file://${repo}`, join(tmp.dir, 'ours-u-false')], { env: sshEnv, encoding: 'utf8', cwd: projectRoot });
  assert.is(ours.status, 128);
  assert.is(ours.stderr, theirs.stderr);
});

test('an ssh program that cannot run: connection error naming it', async () => {
  const err = await transportFailure(() => fetchAll(`git.example.org:${repo}`, { ...sshEnv, GIT_SSH_COMMAND: join(tmp.dir, 'no-such-ssh') }));
  assert.is(err.kind, 'connection');
  assert.match(err.message, /no-such-ssh.*not found/);
  assert.match(err.message, /Could not read from remote repository\./);
});

test('aborting a fetch kills the ssh process', async () => {
  const pidFile = join(tmp.dir, 'ssh.pid');
  const env = { ...sshEnv, GIT_SSH_COMMAND: `echo $$ > '${pidFile}'; exec ${sshEnv.GIT_SSH_COMMAND}` };
  const remote = await openRemote(`git.example.org:${repo}`, { env });
  const adv = await remote.advertise();
  const ctrl = new AbortController();
  const sink = { pack: () => ctrl.abort(new Error('enough')), remoteMessage() {} };
  const err = await within(10_000, 'abort', remote.fetch({ wants: adv.refs.map((r) => r.oid), signal: ctrl.signal }, sink)).catch((e) => e);
  await remote.close();
  assert.is(err.message, 'enough');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await new Promise((r) => setTimeout(r, 100));
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the ssh process is gone');
});

test.after(() => tmp.cleanup());

test.run();

// Options before the command, as git takes them (git.c handle_options):
// `-C <path>` and `-c <name>=<value>`, each repeatable; and `--server-option`,
// which needs the second to be tried against a protocol v0 server. Everything
// is compared with what git prints for the same arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wasmgit } from '../helpers/cli.ts';
import { git, gitIdentityEnv, tempDir } from '../helpers/git.ts';

const { dir, cleanup } = tempDir('global-options');
const env: NodeJS.ProcessEnv = { ...process.env, ...gitIdentityEnv, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const src = join(dir, 'src');
git(dir, ['init', '-q', '-b', 'main', src]);
git(src, ['commit', '-q', '--allow-empty', '-m', 'one']);
git(src, ['tag', 'v1']);

const theirs = (args: string[], cwd = dir) => {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('-C changes directory first (repeatable, relative to the last; empty ignored), as git -C', () => {
  for (const args of [['-C', 'src', 'ls-remote', '.'], ['-C', 'src', '-C', '..', 'ls-remote', 'src'], ['-C', '', 'ls-remote', 'src']]) {
    const ours = wasmgit(args, { cwd: dir, env });
    assert.is(ours.status, 0, ours.stderr);
    assert.is(ours.stdout, theirs(args).stdout, args.join(' '));
  }
  const missing = ['-C', join(dir, 'nowhere'), 'ls-remote', '.'];
  const ours = wasmgit(missing, { cwd: dir, env });
  assert.is(ours.status, 128);
  assert.is(ours.stderr, theirs(missing).stderr);
});

test('-c sets configuration for the run: url.<base>.insteadOf reaches ls-remote; bad ones are refused with git words', () => {
  const args = ['-c', `url.${src}.insteadOf=short:`, 'ls-remote', 'short:'];
  const ours = wasmgit(args, { cwd: dir, env });
  assert.is(ours.status, 0, ours.stderr);
  assert.is(ours.stdout, theirs(args).stdout);
  assert.ok(ours.stdout.includes('refs/tags/v1'));
  for (const bad of [['-c', 'nosection', 'ls-remote', src], ['-c', '=x', 'ls-remote', src]]) {
    const r = wasmgit(bad, { cwd: dir, env });
    assert.is(r.status, 128, bad.join(' '));
    assert.is(r.stderr, theirs(bad).stderr, bad.join(' '));
  }
  for (const lone of [['-c'], ['-C']]) {
    const r = wasmgit(lone, { cwd: dir, env });
    assert.is(r.status, 129);
    assert.is(r.stderr.split('\n')[0], theirs(lone).stderr.split('\n')[0]);
  }
});

test('--server-option: sent with ls-refs and fetch in git order (seen by upload-pack); a v0 server is refused as git refuses it', () => {
  // upload-pack traces what it receives; -u runs it for both tools.
  const wrapper = join(dir, 'traced-upload-pack');
  writeFileSync(wrapper, '#!/bin/sh\nGIT_TRACE_PACKET="$TRACE_TO" exec git-upload-pack "$@"\n', { mode: 0o755 });
  const seen = (who: string, run: (args: string[], e: NodeJS.ProcessEnv) => { status: number; stderr: string }) => {
    const trace = join(dir, `trace-${who}`);
    writeFileSync(trace, '');
    const r = run(['clone', '-q', '-u', wrapper, '--server-option=hello', '--server-option=a b', `file://${src}`, join(dir, `so-${who}`)], { ...env, TRACE_TO: trace });
    assert.is(r.status, 0, r.stderr);
    return readFileSync(trace, 'utf8').split('\n').map((l) => /upload-pack< ((command|server-option)=.*)$/.exec(l)?.[1]).filter(Boolean);
  };
  const gitLines = seen('git', (args, e) => spawnSync('git', args, { cwd: dir, env: e, encoding: 'utf8' }) as { status: number; stderr: string });
  const ourLines = seen('ours', (args, e) => wasmgit(args, { cwd: dir, env: e }));
  assert.equal(ourLines, ['command=ls-refs', 'server-option=hello', 'server-option=a b', 'command=fetch', 'server-option=hello', 'server-option=a b']);
  assert.equal(ourLines, gitLines);
  const v0 = (who: string) => ['-c', 'protocol.version=0', 'clone', '-q', '--server-option=x', `file://${src}`, join(dir, `v0-${who}`)];
  const ours = wasmgit(v0('ours'), { cwd: dir, env });
  const g = theirs(v0('git'));
  assert.is(ours.status, 128);
  assert.is(g.status, 128);
  // git's own lines; upload-pack may add "the remote end hung up" after them, depending on timing.
  assert.ok(g.stderr.startsWith(ours.stderr), `${ours.stderr} vs ${g.stderr}`);
  assert.match(ours.stderr, /^hint: see protocol\.version.*\nfatal: server options require protocol version 2 or later\n$/);
  assert.not.ok(spawnSync('test', ['-e', join(dir, 'v0-ours')]).status === 0, 'nothing left behind');
});

test.after(cleanup);
test.run();

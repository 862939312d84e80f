// clone -4 / -6 over every transport that connects by address, against git
// clone with the same options: the servers listen on 127.0.0.1, so -4 must
// work and -6 must fail with git's words; ssh gets -4/-6 on its command line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root as projectRoot } from '../helpers/cli.ts';
import { fakeSshEnv, startGitDaemon, startHttpServer, type GitDaemon, type HttpServer } from '../helpers/servers.ts';
import { git, makeServedRoot, tempDir, testEnv } from '../helpers/remote-repos.ts';

const tsx = pathToFileURL(join(projectRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const cli = join(projectRoot, 'host/cli/wasmgit.ts');
const tmp = tempDir('ip-family');
const { root, repo } = makeServedRoot(tmp.dir);
let http: HttpServer;
let daemon: GitDaemon;

test.before(async () => {
  http = await startHttpServer({ root });
  daemon = await startGitDaemon({ root });
});
test.after(async () => {
  await http.close();
  await daemon.close();
  tmp.cleanup();
});

// Asynchronous: the HTTP server runs in this process and must answer meanwhile.
const clone = (who: 'git' | 'ours', args: string[], env = testEnv) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const argv = who === 'git' ? ['git', 'clone', ...args] : [process.execPath, '--import', tsx, cli, 'clone', ...args];
    const c = spawn(argv[0], argv.slice(1), { cwd: tmp.dir, env });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stderr }));
  });

test('http:// and git:// to 127.0.0.1: -4 clones as git does, -6 fails with git\'s message and leaves nothing', async () => {
  for (const [kind, url] of [['http', http.url('repo.git')], ['git', daemon.url('repo.git')]]) {
    const theirs = await clone('git', ['-q', '-4', url, `git-${kind}-4`]);
    const ours = await clone('ours', ['-q', '-4', url, `ours-${kind}-4`]);
    assert.is(theirs.status, 0, theirs.stderr);
    assert.is(ours.status, 0, ours.stderr);
    assert.is(git(join(tmp.dir, `ours-${kind}-4`), ['for-each-ref']), git(join(tmp.dir, `git-${kind}-4`), ['for-each-ref']));
    const g6 = await clone('git', ['-q', '-6', url, `git-${kind}-6`]);
    const o6 = await clone('ours', ['-q', '-6', url, `ours-${kind}-6`]);
    assert.is(o6.status, 128, o6.stderr);
    assert.is(o6.stderr, g6.stderr, `${kind} -6`);
    assert.is(spawnSync('test', ['-e', join(tmp.dir, `ours-${kind}-6`)]).status, 1, 'nothing left behind');
  }
  // The later of -4 and -6 wins, as with git.
  assert.is((await clone('ours', ['-q', '-6', '-4', http.url('repo.git'), 'ours-last-4'])).status, 0);
});

test('ssh: -4 and -6 go on the ssh command line where git puts them', async () => {
  const env = fakeSshEnv(testEnv);
  const log = env.WASMGIT_FAKE_SSH_LOG!;
  for (const f of ['-4', '-6']) {
    writeFileSync(log, '');
    assert.is((await clone('git', ['-q', f, `git.example.org:${repo}`, `git-ssh${f}`], env)).status, 0);
    // git first probes an unknown ssh program with -G (OpenSSH or not); the real call follows.
    const theirs = readFileSync(log, 'utf8').split('\n').filter((l) => !l.startsWith('-G ')).join('\n');
    writeFileSync(log, '');
    const ours = await clone('ours', ['-q', f, `git.example.org:${repo}`, `ours-ssh${f}`], env);
    assert.is(ours.status, 0, ours.stderr);
    assert.is(readFileSync(log, 'utf8'), theirs, `ssh arguments with ${f}`);
    assert.match(theirs, ` ${f} `);
  }
});

test.run();

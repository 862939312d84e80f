// Which transport a location names, as git decides (connect.c, clone's local check).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { classify, openRemote, TransportError } from '../../host/transport/index.ts';
import { tempDir, testEnv } from '../helpers/remote-repos.ts';
import { spawnSync } from 'node:child_process';
import { wasmgit } from '../helpers/cli.ts';

const tmp = tempDir('urls');

test('schemes', () => {
  assert.equal(classify('https://example.com/r.git'), { kind: 'http', url: 'https://example.com/r.git' });
  assert.equal(classify('git://example.com/r.git'), { kind: 'git', host: 'example.com', port: 9418, hostHeader: 'example.com', path: '/r.git' });
  assert.equal(classify('git://example.com:1234/~alice/r.git'), { kind: 'git', host: 'example.com', port: 1234, hostHeader: 'example.com:1234', path: '~alice/r.git' });
  assert.equal(classify('ssh://bob@example.com:2222/srv/r.git'), { kind: 'ssh', user: 'bob', host: 'example.com', port: '2222', path: '/srv/r.git' });
  assert.equal(classify('git+ssh://example.com/~/r.git'), { kind: 'ssh', user: undefined, host: 'example.com', port: undefined, path: '~/r.git' });
  assert.equal(classify('ssh://[::1]:22/r.git'), { kind: 'ssh', user: undefined, host: '::1', port: '22', path: '/r.git' });
  assert.equal(classify('file:///srv/my%20repo.git'), { kind: 'file', path: '/srv/my repo.git' });
  assert.equal(classify('ftp://example.com/r.git'), { kind: 'unsupported', scheme: 'ftp' });
});

test('scp-like [user@]host:path is ssh when no slash comes before the colon', () => {
  assert.equal(classify('git@github.com:owner/repo.git', tmp.dir), { kind: 'ssh', user: 'git', host: 'github.com', path: 'owner/repo.git' });
  assert.equal(classify('host:/abs/path', tmp.dir), { kind: 'ssh', user: undefined, host: 'host', path: '/abs/path' });
  assert.equal(classify('me@[::1]:r.git', tmp.dir), { kind: 'ssh', user: 'me', host: '::1', path: 'r.git' });
  assert.equal(classify('./a:b', tmp.dir), { kind: 'local', path: join(tmp.dir, 'a:b') });
});

test('an existing path is local even when it looks like host:path', () => {
  mkdirSync(join(tmp.dir, 'looks:remote'));
  assert.equal(classify('looks:remote', tmp.dir), { kind: 'local', path: join(tmp.dir, 'looks:remote') });
  assert.equal(classify('relative/repo', tmp.dir), { kind: 'local', path: join(tmp.dir, 'relative/repo') });
});

test('an HTTP URL with a raw space or control character: refused before connecting, in curl\'s words as git prints them', () => {
  for (const url of ['http://127.0.0.1:1/a b.git', 'http://127.0.0.1:1/a\tb.git']) {
    const theirs = spawnSync('git', ['ls-remote', url], { env: testEnv, encoding: 'utf8' });
    const ours = wasmgit(['ls-remote', url], { env: testEnv });
    assert.is(ours.status, 128, ours.stderr);
    assert.is(ours.status, theirs.status);
    assert.is(ours.stderr, theirs.stderr);
    assert.match(ours.stderr, /URL using bad\/illegal format or missing URL/);
  }
});

test('an unknown scheme is unsupported, as git says', async () => {
  const err = await openRemote('ftp://example.com/r.git').catch((e) => e);
  assert.instance(err, TransportError);
  assert.is(err.kind, 'unsupported');
  assert.is(err.message, "Unable to find remote helper for 'ftp'");
});

test.after(() => tmp.cleanup());

test.run();

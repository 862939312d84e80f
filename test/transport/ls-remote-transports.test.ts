// `wasmgit ls-remote` fails, warns and refuses as `git ls-remote` does over
// each transport: HTTP's 401 (no way to ask; wrong credentials, with the
// server's text/plain explanation as `remote:` lines), --upload-pack that a
// transport cannot take (HTTP warns) or that the server refuses (git daemon
// hangs up), a file:// URL with a host or no path at all, and sort keys: the
// refname and symref atoms with their modifiers, and keys that are not fields.
// Both commands run with the same arguments; status, stdout and stderr must be
// equal byte for byte (ports aside: they are the same servers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeServedRoot, tempDir, testEnv } from '../helpers/remote-repos.ts';
import { runAsync, wasmgitAsync } from '../helpers/cli.ts';
import { startGitDaemon, startHttpServer } from '../helpers/servers.ts';

const tmp = tempDir('ls-remote-transports');
const { repo } = makeServedRoot(tmp.dir);
const outside = join(tmp.dir, 'outside');
mkdirSync(outside);

async function same(args: string[]): Promise<void> {
  const [theirs, ours] = await Promise.all([runAsync('git', ['ls-remote', ...args], { cwd: outside, env: testEnv }), wasmgitAsync(['ls-remote', ...args], { cwd: outside, env: testEnv })]);
  const what = `ls-remote ${args.join(' ')}`;
  assert.is(ours.stderr, theirs.stderr, what);
  assert.is(ours.stdout, theirs.stdout, what);
  assert.is(ours.code, theirs.code, what);
}

test("HTTP 401: git credential fill's words with no way to ask; the server's text/plain reason as remote: lines after wrong credentials", async () => {
  const server = await startHttpServer({ root: dirname(repo), basicAuth: { user: 'u', pass: 'p' } });
  try {
    const url = server.url(basename(repo));
    await Promise.all([same([url]), same(['-q', url.replace('//', '//u:wrong@')])]);
  } finally {
    await server.close();
  }
});

test('--upload-pack over HTTP: a warning unless it names git-upload-pack; over git:// the daemon refuses another program', async () => {
  const http = await startHttpServer({ root: dirname(repo) });
  const daemon = await startGitDaemon({ root: dirname(repo) });
  try {
    await Promise.all([same(['--upload-pack=elsewhere-upload-pack', '--heads', http.url(basename(repo))]), same(['--upload-pack=git-upload-pack', '--tags', http.url(basename(repo))])]);
    await Promise.all([same(['--upload-pack=no-such-upload-pack', daemon.url(basename(repo))]), same(['--upload-pack=git-upload-pack', '--heads', daemon.url(basename(repo))])]);
  } finally {
    await Promise.all([http.close(), daemon.close()]);
  }
});

test('file://<host>/<path>: the host is skipped and the path read', async () => {
  await Promise.all([same([`file://elsewhere${repo}`, 'main']), same([`file://elsewhere${join(tmp.dir, 'missing')}`])]);
});

test('a location with no path (empty, ssh://host, git://host, file://): refused before connecting, in git\'s words', async () => {
  await Promise.all([same(['']), same(['ssh://localhost'])]);
  await Promise.all([same(['git://localhost']), same(['file://'])]);
});

test('--sort keys that are no field, or need objects outside a repository: fatal, in git\'s words', async () => {
  await Promise.all([same(['--sort=', repo]), same(['--sort=-objectname', repo])]);
  await Promise.all([same(['--sort=authordate:iso', repo]), same(['--sort=-', repo])]);
  await Promise.all([same(['--sort=refname:lstrip=x', repo]), same(['--sort=v:refname:bogus', repo])]);
});

test('--sort by refname and symref with lstrip=/rstrip= (negative too), as versions or reversed: the order git prints', async () => {
  await Promise.all([same(['--sort=refname:lstrip=2', '--symref', repo]), same(['--sort=-refname:lstrip=-1', repo])]);
  await Promise.all([same(['--sort=refname:rstrip=1', '--sort=-v:refname:strip=2', repo]), same(['--sort=-symref:rstrip=-2', '--symref', repo])]);
});

test.after(() => tmp.cleanup());

test.run();

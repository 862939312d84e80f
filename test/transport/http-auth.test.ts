// Credentials and proxies for smart HTTP: a 401 with nothing to answer it is an
// 'auth' error; credentials come from the URL, from GIT_ASKPASS (through `git
// credential fill`, or directly when git is not installed) and from credential
// helpers, which hear `approve`/`reject`; HTTP goes through http_proxy with
// absolute URIs, HTTPS through a CONNECT tunnel, and NO_PROXY bypasses both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRemote } from '../../host/transport/index.ts';
import { hasOpenssl, selfSignedCert, startHttpServer, startProxy, type HttpServer } from '../helpers/servers.ts';
import { fetchAllVerified, makeServedRoot, tempDir, testEnv, transportFailure, within } from '../helpers/remote-repos.ts';
import { skipWithReason } from '../helpers/skip.ts';

const tmp = tempDir('http-auth');
const { root } = makeServedRoot(tmp.dir);
const servers: { close(): Promise<void> }[] = [];
const auth = { user: 'alice', pass: 's3cret:!' };
async function server(opts: Omit<Parameters<typeof startHttpServer>[0], 'root'> = {}): Promise<HttpServer> {
  const s = await startHttpServer({ root, ...opts });
  servers.push(s);
  return s;
}

/** Fetches everything from `url` and checks the pack with real git. */
const cloneRefs = (url: string, env: NodeJS.ProcessEnv) => fetchAllVerified(tmp.dir, url, env, { fetchMs: 20_000 });

/** An askpass program that answers git's prompts and logs them. */
function askpass(dir: string, user: string, pass: string): { path: string; log: string } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'askpass');
  const log = join(dir, 'prompts.log');
  writeFileSync(
    path,
    `#!/bin/sh
printf '%s\\n' "$1" >> '${log}'
case "$1" in
  Username*) printf '%s\\n' '${user}' ;;
  Password*) printf '%s\\n' '${pass}' ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return { path, log };
}

test('401 and no way to ask: auth error, in the words of git credential fill', async () => {
  const s = await server({ basicAuth: auth });
  const url = s.url('repo.git');
  const err = await transportFailure(() => cloneRefs(url, testEnv));
  assert.is(err.kind, 'auth');
  assert.match(err.message, /^could not read Username for 'http:\/\/127\.0\.0\.1:\d+': terminal prompts disabled$/);
});

test('credentials in the URL are used and never shown', async () => {
  const s = await server({ basicAuth: auth });
  const url = s.url('repo.git').replace('http://', `http://${auth.user}:${encodeURIComponent(auth.pass)}@`);
  const remote = await openRemote(url, { env: testEnv });
  assert.not.match(remote.url, /s3cret/);
  await remote.close();
  await cloneRefs(url, testEnv);
  const wrong = s.url('repo.git').replace('http://', 'http://alice:wrong@');
  const err = await transportFailure(() => cloneRefs(wrong, testEnv));
  assert.is(err.kind, 'auth');
  assert.not.match(err.message, /wrong/);
});

test('GIT_ASKPASS answers git credential fill\'s prompts', async () => {
  const s = await server({ basicAuth: auth });
  const a = askpass(join(tmp.dir, 'askpass1'), auth.user, auth.pass);
  await cloneRefs(s.url('repo.git'), { ...testEnv, GIT_ASKPASS: a.path });
  const prompts = readFileSync(a.log, 'utf8').split('\n').filter(Boolean);
  assert.equal(prompts, [`Username for 'http://127.0.0.1:${s.port}': `, `Password for 'http://alice@127.0.0.1:${s.port}': `]);
});

test('without git on PATH, GIT_ASKPASS is asked directly with the same prompts', async () => {
  const s = await server({ basicAuth: auth });
  const a = askpass(join(tmp.dir, 'askpass2'), auth.user, auth.pass);
  const noGit = join(tmp.dir, 'empty-bin');
  mkdirSync(noGit, { recursive: true });
  const remote = await openRemote(s.url('repo.git'), { env: { ...testEnv, PATH: noGit, GIT_ASKPASS: a.path } });
  const adv = await within(20_000, 'advertise', remote.advertise());
  await remote.close();
  assert.ok(adv.refs.length > 0);
  const prompts = readFileSync(a.log, 'utf8').split('\n').filter(Boolean);
  assert.equal(prompts, [`Username for 'http://127.0.0.1:${s.port}': `, `Password for 'http://alice@127.0.0.1:${s.port}': `]);
});

test('a credential helper supplies credentials, learns good ones (approve) and forgets bad ones (reject)', async () => {
  const s = await server({ basicAuth: auth });
  const store = join(tmp.dir, 'credentials');
  const helperEnv = (extra: NodeJS.ProcessEnv = {}) => ({
    ...testEnv,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: `store --file=${store}`,
    ...extra,
  });
  // First time: askpass answers, and the store helper is told to keep the credentials.
  const a = askpass(join(tmp.dir, 'askpass3'), auth.user, auth.pass);
  await cloneRefs(s.url('repo.git'), helperEnv({ GIT_ASKPASS: a.path }));
  const saved = readFileSync(store, 'utf8');
  // git credential-store percent-encodes the fields: s3cret:! is s3cret%3a%21.
  assert.is(saved.trim(), `http://alice:s3cret%3a%21@127.0.0.1%3a${s.port}`);
  // Second time: the helper alone is enough.
  await cloneRefs(s.url('repo.git'), helperEnv());
  // Stored credentials that stopped working are rejected, i.e. erased from the store.
  writeFileSync(store, `http://alice:old@127.0.0.1%3a${s.port}\n`);
  const err = await transportFailure(() => cloneRefs(s.url('repo.git'), helperEnv()));
  assert.is(err.kind, 'auth');
  assert.is(readFileSync(store, 'utf8').trim(), '', 'the refused credential was erased');
});

test('http_proxy: requests go to the proxy with absolute URIs; NO_PROXY bypasses it', async () => {
  const s = await server();
  const proxy = await startProxy();
  servers.push(proxy);
  const env = { ...testEnv, http_proxy: proxy.url, NO_PROXY: '', no_proxy: '' };
  await cloneRefs(s.url('repo.git'), env);
  assert.ok(proxy.seen.length >= 2);
  assert.ok(proxy.seen.every((l) => l.includes(`http://127.0.0.1:${s.port}/repo.git/`)), proxy.seen.join('\n'));
  proxy.seen.length = 0;
  await cloneRefs(s.url('repo.git'), { ...env, NO_PROXY: 'example.com,127.0.0.1' });
  assert.equal(proxy.seen, []);
});


if (!hasOpenssl) {
  skipWithReason(test, 'https through a CONNECT tunnel', 'openssl is not installed to make a test certificate');
} else {
  test('https: through a CONNECT tunnel, trusting GIT_SSL_CAINFO; an untrusted certificate is a connection error', async () => {
    const dir = join(tmp.dir, 'tls');
    mkdirSync(dir);
    const { key, cert } = selfSignedCert(dir);
    const tls = { key, cert };
    const s = await server({ tls });
    const proxy = await startProxy();
    servers.push(proxy);
    const env = { ...testEnv, HTTPS_PROXY: proxy.url, GIT_SSL_CAINFO: join(dir, 'cert.pem') };
    await cloneRefs(s.url('repo.git'), env);
    assert.ok(proxy.seen.length >= 2);
    assert.ok(proxy.seen.every((l) => l === `CONNECT 127.0.0.1:${s.port}`), proxy.seen.join('\n'));
    const err = await transportFailure(() => cloneRefs(s.url('repo.git'), { ...testEnv, GIT_SSL_CAINFO: '' }));
    assert.is(err.kind, 'connection');
    assert.match(err.message, /certificate/i);
    await cloneRefs(s.url('repo.git'), { ...testEnv, GIT_SSL_NO_VERIFY: '1' });
  });
}

test.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

test.run();

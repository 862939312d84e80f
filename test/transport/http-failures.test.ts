// Smart HTTP failures end in a clean TransportError with git's wording and the
// right kind: 404, 500, a dumb server's fetch into no repository, a connection cut in the middle of the pack,
// an ERR packet, a server that never answers, nothing listening, an abort.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { openRemote } from '../../host/transport/index.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { collectingSink, failingFetchAll, git, makeServedRoot, tempDir, testEnv, transportFailure, within } from '../helpers/remote-repos.ts';

const tmp = tempDir('http-fail');
const { root, repo } = makeServedRoot(tmp.dir);
git(repo, ['update-server-info']); // for the dumb server
const servers: HttpServer[] = [];
async function server(opts: Omit<Parameters<typeof startHttpServer>[0], 'root'> = {}): Promise<HttpServer> {
  const s = await startHttpServer({ root, ...opts });
  servers.push(s);
  return s;
}

async function fetchAll(url: string, env = testEnv) {
  const remote = await openRemote(url, { env });
  try {
    const adv = await remote.advertise();
    const sink = collectingSink();
    await remote.fetch({ wants: adv.refs.map((r) => r.oid) }, sink);
    return sink;
  } finally {
    await remote.close();
  }
}

test('404: not-found, "repository \'<url>\' not found"', async () => {
  const s = await server();
  const url = s.url('missing.git');
  const err = await transportFailure(() => fetchAll(url));
  assert.is(err.kind, 'not-found');
  assert.is(err.message, `repository '${url}/' not found`);
  assert.is(err.url, `${url}/`);
});

test('404 for a URL with %-escapes and non-ASCII: named as typed, as git names it', async () => {
  const s = await server();
  const url = s.url('nö%20such.git');
  const ours = await transportFailure(() => fetchAll(url));
  // Asynchronously: the server runs in this process.
  const stderr = await new Promise<string>((resolve) => execFile('git', ['ls-remote', url], { env: testEnv }, (_err, _out, err) => resolve(String(err))));
  assert.is(`fatal: ${ours.message}\n`, stderr);
});

test('500: remote-error naming the status', async () => {
  const s = await server({ fault: { status: 500 } });
  const url = s.url('repo.git');
  const err = await transportFailure(() => fetchAll(url));
  assert.is(err.kind, 'remote-error');
  assert.is(err.message, `unable to access '${url}/': The requested URL returned error: 500`);
});

test('a dumb HTTP server: its info/refs and HEAD advertised; a fetch with nowhere to store objects refused, saying why', async () => {
  const s = await server({ dumb: true });
  const remote = await openRemote(s.url('repo.git'), { env: testEnv });
  try {
    const adv = await remote.advertise();
    const listed = git(repo, ['for-each-ref', '--format=%(objectname) %(refname)']).trim().split('\n');
    assert.equal(adv.refs.filter((r) => r.name !== 'HEAD').map((r) => `${r.oid} ${r.name}`), listed);
    assert.is(adv.headTarget, git(repo, ['symbolic-ref', 'HEAD']).trim());
    // A pack-stream sink (no objectDir): the walker has nowhere to put loose objects and packs.
    const err = await transportFailure(() => remote.fetch({ wants: [adv.refs[0].oid] }, collectingSink()));
    assert.is(err.kind, 'unsupported');
    assert.match(err.message, /is a dumb-HTTP server: its objects are fetched one by one into a repository/);
  } finally {
    await remote.close();
  }
});

for (const gzip of [false, true]) {
  test(`a connection cut in the middle of the pack: connection error "hung up", with the byte count (gzip: ${gzip})`, async () => {
    // The cut must fall after at least one whole side-band packet: upload-pack sends
    // up to 65520-byte packets, and a client rightly delivers none of a packet cut short.
    const s = await server({ fault: { dropAfter: 150_000 }, gzip });
    const remote = await openRemote(s.url('repo.git'), { env: testEnv });
    const { err, sink } = await failingFetchAll(remote);
    assert.is(err.kind, 'connection');
    assert.match(err.message, /^the remote end hung up unexpectedly/);
    assert.ok(sink.bytes().length > 1_000, `part of the pack arrived first (${sink.bytes().length} bytes)`);
    assert.ok(sink.bytes().length < 150_000);
  });
}

test('an ERR packet from upload-pack (a want it does not have): remote-error with its text', async () => {
  for (const v0 of [false, true]) {
    const s = await server({ protocolV0Only: v0 });
    const remote = await openRemote(s.url('repo.git'), { env: testEnv });
    const err = await transportFailure(async () => {
      await remote.advertise();
      await remote.fetch({ wants: ['1234567890123456789012345678901234567890'] }, collectingSink());
    });
    await remote.close();
    assert.is(err.kind, 'remote-error', `${v0 ? 'v0' : 'v2'}: ${err.message}`);
    assert.match(err.message, /^remote error: upload-pack: not our ref 1234567890123456789012345678901234567890/);
  }
});

test('a server that never answers: timeout after WASMGIT_HTTP_TIMEOUT_MS', async () => {
  const s = await server({ fault: { stall: true } });
  const url = s.url('repo.git');
  const err = await transportFailure(() => fetchAll(url, { ...testEnv, WASMGIT_HTTP_TIMEOUT_MS: '300' }));
  assert.is(err.kind, 'timeout');
  assert.match(err.message, new RegExp(`^unable to access '${url}/': Operation timed out after 300 milliseconds`));
});

test('a server trickling data below http.lowSpeedLimit for http.lowSpeedTime: timeout', async () => {
  const s = await server({ fault: { trickle: true } });
  const remote = await openRemote(s.url('repo.git'), {
    env: testEnv,
    config: new Map([
      ['http.lowSpeedLimit', '1000'],
      ['http.lowSpeedTime', '1'],
    ]),
  });
  const err = await transportFailure(() => remote.advertise());
  await remote.close();
  assert.is(err.kind, 'timeout');
  assert.match(err.message, /Operation too slow\. Less than 1000 bytes\/sec transferred the last 1 seconds/);
});

test('an answer held open after its last packet: the next request goes out on a new connection, not behind it', async () => {
  const s = await server({ fault: { holdFirstPost: true } });
  const sink = await within(15_000, 'advertise and fetch', fetchAll(s.url('repo.git')));
  assert.ok(sink.bytes().length > 0, 'the pack came');
  assert.is(s.connections, 2, 'the held connection was given up');
});

test('nothing listening: connection error "Failed to connect"', async () => {
  const s = await server();
  const url = s.url('repo.git');
  await s.close();
  const err = await transportFailure(() => fetchAll(url));
  assert.is(err.kind, 'connection');
  assert.match(err.message, /Failed to connect to 127\.0\.0\.1 port \d+: Connection refused/);
});

test('aborting a fetch stops it with the abort reason and leaves no request running', async () => {
  const s = await server();
  const remote = await openRemote(s.url('repo.git'), { env: testEnv });
  const adv = await remote.advertise();
  const ctrl = new AbortController();
  let chunks = 0;
  const sink = {
    pack() {
      if (++chunks === 1) ctrl.abort(new Error('stop here'));
    },
    remoteMessage() {},
  };
  let caught: unknown;
  try {
    await within(10_000, 'aborted fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid), signal: ctrl.signal }, sink));
  } catch (err) {
    caught = err;
  }
  await remote.close();
  assert.instance(caught, Error);
  assert.is((caught as Error).message, 'stop here');
});

test('https:// to a plain-HTTP port: a TLS error in curl\'s words, none of OpenSSL\'s internals', async () => {
  const s = await server();
  const url = s.url('repo.git').replace(/^http:/, 'https:');
  const err = await transportFailure(() => fetchAll(url));
  assert.is(err.kind, 'connection');
  // curl built with OpenSSL: "OpenSSL/<version>: error:0A00010B:SSL routines::wrong version number".
  assert.match(err.message, new RegExp(`^unable to access '${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/': OpenSSL/\\S+: error:[0-9A-F]+:SSL routines::wrong version number$`));
});

test.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

test.run();

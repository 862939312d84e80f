// Smart HTTP against real `git http-backend`: the advertisement matches
// `git ls-remote`, fetched packs index and fsck with real git, in protocol v2 and
// when the server only speaks v0; shallow and partial fetches; redirects, gzip,
// CORS headers and http.extraHeader.
import { test } from 'uvu';
import { execFile } from 'node:child_process';
import * as assert from 'uvu/assert';
import { openRemote, type Advertisement } from '../../host/transport/index.ts';
import { formatLsRemote } from '../../host/cli/ls-remote.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { collectingSink, git, gitLsRemote, makeServedRoot, tempDir, testEnv, verifyFetched, within } from '../helpers/remote-repos.ts';

const tmp = tempDir('http');
const { root, repo } = makeServedRoot(tmp.dir);
const servers: HttpServer[] = [];
async function server(opts: Omit<Parameters<typeof startHttpServer>[0], 'root'> = {}): Promise<HttpServer> {
  const s = await startHttpServer({ root, ...opts });
  servers.push(s);
  return s;
}

/** The requests wasmgit made (git ls-remote talks to the same servers). */
const ours = (s: HttpServer) => s.requests.filter((r) => String(r.headers['user-agent']).includes('wasmgit/'));

async function advertiseAndFetch(url: string, opts: Parameters<typeof openRemote>[1] = {}) {
  const remote = await openRemote(url, { env: testEnv, ...opts });
  try {
    const adv = await within(20_000, 'advertise', remote.advertise());
    const sink = collectingSink();
    const result = await within(30_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid), includeTag: true }, sink));
    return { adv, sink, result };
  } finally {
    await remote.close();
  }
}

function allRefsPresent(adv: Advertisement, pack: Uint8Array): void {
  const { objects } = verifyFetched(tmp.dir, pack, adv.refs);
  for (const ref of adv.refs) assert.ok(objects.has(ref.oid), `${ref.name} ${ref.oid} is in the pack`);
}

test('protocol v2: refs match git ls-remote, the pack holds every ref with its history', async () => {
  const s = await server();
  const url = s.url('repo.git');
  const { adv, sink } = await advertiseAndFetch(url);
  assert.is(adv.protocol, 2);
  assert.is(adv.headTarget, 'refs/heads/main');
  assert.equal(formatLsRemote(adv), await gitLsRemote(url));
  assert.equal(formatLsRemote(adv, { symref: true }), await gitLsRemote(url, testEnv, ['--symref']));
  allRefsPresent(adv, sink.bytes());
  assert.ok(sink.messages.join('').includes('Total'), 'progress arrived on band 2');
  const asked = ours(s).map((r) => `${r.method} ${r.url} ${r.headers['git-protocol']}`);
  assert.equal(asked, [
    'GET /repo.git/info/refs?service=git-upload-pack version=2',
    'POST /repo.git/git-upload-pack version=2',
    'POST /repo.git/git-upload-pack version=2',
  ]);
  });

test('a server that only speaks v0: the v0 advertisement is used, refs match, the pack is complete', async () => {
  const s = await server({ protocolV0Only: true });
  const url = s.url('repo.git');
  const { adv, sink } = await advertiseAndFetch(url);
  assert.is(adv.protocol, 0);
  assert.is(adv.headTarget, 'refs/heads/main');
  assert.ok(adv.capabilities.has('multi_ack_detailed'));
  assert.equal(formatLsRemote(adv), await gitLsRemote(url, { ...testEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0' }));
  allRefsPresent(adv, sink.bytes());
  assert.is(ours(s).length, 2, 'one GET, one POST');
});

test('protocol.version=0 in config asks for v0 even from a v2 server', async () => {
  const s = await server();
  const { adv, sink } = await advertiseAndFetch(s.url('repo.git'), { config: new Map([['protocol.version', '0']]) });
  assert.is(adv.protocol, 0);
  assert.is(s.requests[0].headers['git-protocol'], undefined);
  allRefsPresent(adv, sink.bytes());
});

for (const v0 of [false, true]) {
  test(`depth=1 returns shallow lines and a pack git accepts as shallow (${v0 ? 'v0' : 'v2'})`, async () => {
    const s = await server({ protocolV0Only: v0 });
    const remote = await openRemote(s.url('repo.git'), { env: testEnv });
    try {
      const adv = await remote.advertise({ prefixes: ['refs/heads/'] });
      assert.ok(adv.refs.every((r) => r.name.startsWith('refs/heads/')), 'prefixes narrow the refs');
      const sink = collectingSink();
      const res = await within(30_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid), depth: 1, noProgress: true }, sink));
      const tips = [...new Set(adv.refs.map((r) => r.oid))].sort();
      assert.equal([...res.shallow].sort(), tips, 'each branch tip is a shallow boundary, once');
      assert.equal(res.unshallow, []);
      assert.equal(sink.messages, [], 'no-progress silences band 2');
      const { objects } = verifyFetched(tmp.dir, sink.bytes(), adv.refs, { shallow: res.shallow });
      const commits = [...objects.values()].filter((t) => t === 'commit').length;
      assert.is(commits, tips.length, 'only the tip commits');
    } finally {
      await remote.close();
    }
  });
}

test('shallowSince and shallowExclude are sent as deepen-since / deepen-not', async () => {
  const s = await server();
  const remote = await openRemote(s.url('repo.git'), { env: testEnv });
  try {
    const adv = await remote.advertise();
    const main = adv.refs.find((r) => r.name === 'refs/heads/main')!;
    const sink = collectingSink();
    const res = await remote.fetch({ wants: [main.oid], shallowExclude: ['refs/heads/dev'] }, sink);
    assert.ok(res.shallow.length > 0, 'deepen-not made a boundary');
    verifyFetched(tmp.dir, sink.bytes(), [main], { shallow: res.shallow });
    const sink2 = collectingSink();
    const res2 = await remote.fetch({ wants: [main.oid], shallowSince: new Date((1_700_000_000 + 2.5 * 86_400) * 1000) }, sink2);
    assert.ok(res2.shallow.length > 0);
    verifyFetched(tmp.dir, sink2.bytes(), [main], { shallow: res2.shallow });
  } finally {
    await remote.close();
  }
});

for (const v0 of [false, true]) {
  test(`filter=blob:none leaves blobs out (${v0 ? 'v0' : 'v2'})`, async () => {
    const s = await server({ protocolV0Only: v0 });
    const url = s.url('repo.git');
    const remote = await openRemote(url, { env: testEnv });
    try {
      const adv = await remote.advertise();
      const sink = collectingSink();
      const res = await remote.fetch({ wants: adv.refs.map((r) => r.oid), filter: 'blob:none' }, sink);
      assert.is(res.warnings, undefined);
      const { objects } = verifyFetched(tmp.dir, sink.bytes(), adv.refs, { promisor: url });
      assert.ok(objects.size > 0);
      assert.not.ok([...objects.values()].includes('blob'), 'no blobs in a blob:none pack');
      assert.ok([...objects.values()].includes('tree'));
    } finally {
      await remote.close();
    }
  });
}

test('one connection carries every request of a clone, as curl keeps it for git (v2 and v0)', async () => {
  for (const opts of [{}, { protocolV0Only: true }]) {
    const s = await server(opts);
    const { adv } = await advertiseAndFetch(s.url('repo.git'));
    assert.ok(adv.refs.length > 0);
    assert.ok(ours(s).length >= 2, `${ours(s).length} requests`);
    assert.is(s.connections, 1, `${ours(s).length} requests over ${s.connections} connections`);
    // git, over a server of its own, for comparison.
    const g = await server(opts);
    const dest = `${tmp.dir}/keepalive-${g.port}`;
    await new Promise<void>((resolve, reject) =>
      execFile('git', ['clone', '-q', '--bare', g.url('repo.git'), dest], { env: testEnv }, (err) => (err ? reject(err) : resolve())),
    );
    assert.is(s.connections, g.connections, 'as many connections as git clone');
  }
});

test('a redirect on info/refs is followed, reported, and later requests use the new base', async () => {
  const s = await server({ redirect: true });
  const seen: [string, string][] = [];
  const { adv, sink } = await advertiseAndFetch(s.url('repo.git'), { onRedirect: (from, to) => seen.push([from, to]) });
  assert.equal(seen, [[`http://127.0.0.1:${s.port}/moved/repo.git/`, `http://127.0.0.1:${s.port}/repo.git/`]]);
  assert.equal(
    s.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`),
    ['GET /moved/repo.git/info/refs', 'GET /repo.git/info/refs', 'POST /repo.git/git-upload-pack', 'POST /repo.git/git-upload-pack'],
  );
  allRefsPresent(adv, sink.bytes());
});

test('gzip-encoded responses are decoded as they stream', async () => {
  const s = await server({ gzip: true });
  const { adv, sink } = await advertiseAndFetch(s.url('repo.git'));
  assert.match(String(s.requests[0].headers['accept-encoding']), /gzip/);
  allRefsPresent(adv, sink.bytes());
});

test('a server sending CORS headers works the same; http.extraHeader is sent on every request', async () => {
  const s = await server({ cors: true });
  const config = new Map([['http.extraHeader', 'X-Wasmgit-Test: yes please']]);
  const { adv, sink } = await advertiseAndFetch(s.url('repo.git'), { config });
  allRefsPresent(adv, sink.bytes());
  assert.ok(s.requests.length >= 2);
  for (const r of s.requests) assert.is(r.headers['x-wasmgit-test'], 'yes please');
});

test('an empty repository: no refs, HEAD target still known (v2 unborn)', async () => {
  git(root, ['init', '-q', '--bare', '-b', 'trunk', 'empty.git']);
  const s = await server();
  const remote = await openRemote(s.url('empty.git'), { env: testEnv });
  try {
    const adv = await remote.advertise();
    assert.equal(adv.refs, []);
    assert.is(adv.headTarget, 'refs/heads/trunk');
    const res = await remote.fetch({ wants: [] }, collectingSink());
    assert.equal(res, { shallow: [], unshallow: [] });
  } finally {
    await remote.close();
  }
});

test.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

test.run();

// file:// URLs run real git-upload-pack: v2 and v0, partial clone, shallow fetch;
// a pack-objects failure on the remote side arrives on side-band 3 and becomes a
// remote-error; a missing repository is not-found; without git it says to use a path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRemote } from '../../host/transport/index.ts';
import { formatLsRemote } from '../../host/cli/ls-remote.ts';
import { collectingSink, failingFetchAll, git, gitLsRemote, makeServedRoot, tempDir, testEnv, verifyFetched, transportFailure, within } from '../helpers/remote-repos.ts';

const tmp = tempDir('file');
const { repo } = makeServedRoot(tmp.dir);
const url = `file://${repo}`;

test('variables naming a local repository (a hook\'s GIT_DIR, GIT_OBJECT_DIRECTORY) do not reach upload-pack', async () => {
  const other = join(tmp.dir, 'other.git');
  git(tmp.dir, ['init', '-q', '--bare', other]);
  const env = { ...testEnv, GIT_DIR: other, GIT_OBJECT_DIRECTORY: join(other, 'objects'), GIT_INDEX_FILE: join(other, 'index') };
  const remote = await openRemote(url, { env });
  try {
    const adv = await within(20_000, 'advertise', remote.advertise());
    assert.equal(formatLsRemote(adv), await gitLsRemote(url, testEnv));
    const full = collectingSink();
    await within(30_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid) }, full));
    verifyFetched(tmp.dir, full.bytes(), adv.refs);
  } finally {
    await remote.close();
  }
});

for (const version of ['2', '0']) {
  test(`protocol v${version}: refs match git ls-remote; full, shallow and blob:none fetches check out with git`, async () => {
    const config = new Map([['protocol.version', version]]);
    const remote = await openRemote(url, { env: testEnv, config });
    try {
      const adv = await within(20_000, 'advertise', remote.advertise());
      assert.is(adv.protocol, Number(version));
      const gitEnv = { ...testEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: version };
      assert.equal(formatLsRemote(adv), await gitLsRemote(url, gitEnv));
      const wants = adv.refs.map((r) => r.oid);
      const full = collectingSink();
      await within(30_000, 'fetch', remote.fetch({ wants }, full));
      verifyFetched(tmp.dir, full.bytes(), adv.refs);
      const shallow = collectingSink();
      const res = await within(30_000, 'shallow fetch', remote.fetch({ wants, depth: 1 }, shallow));
      assert.ok(res.shallow.length > 0);
      verifyFetched(tmp.dir, shallow.bytes(), adv.refs, { shallow: res.shallow });
      const partial = collectingSink();
      await within(30_000, 'partial fetch', remote.fetch({ wants, filter: 'blob:none' }, partial));
      const { objects } = verifyFetched(tmp.dir, partial.bytes(), adv.refs, { promisor: url });
      assert.not.ok([...objects.values()].includes('blob'));
    } finally {
      await remote.close();
    }
  });
}

test('pack-objects failing on the remote side: remote-error from side-band 3, progress on band 2', async () => {
  const work = join(tmp.dir, 'corrupt');
  git(tmp.dir, ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, 'a.txt'), 'soon missing\n');
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', 'one']);
  const blob = git(work, ['rev-parse', 'HEAD:a.txt']).trim();
  rmSync(join(work, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
  for (const version of ['2', '0']) {
    const remote = await openRemote(`file://${work}`, { env: testEnv, config: new Map([['protocol.version', version]]) });
    const { err, sink } = await failingFetchAll(remote);
    assert.is(err.kind, 'remote-error');
    assert.is(err.message, 'remote error: aborting due to possible repository corruption on the remote side.');
    assert.match(sink.messages.join(''), new RegExp(`unable to read ${blob}`));
  }
});

test('upload-pack refusing a request after its advertisement: its words, then "the remote end hung up unexpectedly" (not the initial-contact message)', async () => {
  // git: packet_read() dies so once upload-pack has answered; "Could not read from remote repository" is for a first contact that fails.
  for (const version of ['2', '0']) {
    const remote = await openRemote(url, { env: testEnv, config: new Map([['protocol.version', version]]) });
    const err = await transportFailure(async () => {
      const adv = await remote.advertise();
      await remote.fetch({ wants: [adv.refs[0].oid], shallowExclude: ['no-such-ref'] }, collectingSink());
    });
    await remote.close();
    assert.is(err.kind, 'connection', `v${version}`);
    assert.is(err.message, 'git upload-pack: ambiguous deepen-not: deepen-not no-such-ref\nthe remote end hung up unexpectedly', `v${version}`);
    assert.equal(err.relayed, { text: 'fatal: git upload-pack: ambiguous deepen-not: deepen-not no-such-ref\n', reason: 'the remote end hung up unexpectedly' }, `v${version}`);
  }
});

test('a missing repository: not-found with upload-pack\'s words', async () => {
  const missing = join(tmp.dir, 'missing.git');
  const remote = await openRemote(`file://${missing}`, { env: testEnv });
  const err = await transportFailure(() => remote.advertise());
  assert.is(err.kind, 'not-found');
  assert.match(err.message, new RegExp(`^'${missing}' does not appear to be a git repository\\n`));
});

test('without git on PATH: unsupported, pointing at the plain path', async () => {
  const empty = join(tmp.dir, 'empty-bin');
  mkdirSync(empty);
  const remote = await openRemote(url, { env: { ...testEnv, PATH: empty } });
  const err = await transportFailure(() => remote.advertise());
  assert.is(err.kind, 'unsupported');
  assert.match(err.message, /need git installed/);
  assert.match(err.message, new RegExp(`give the plain path '${repo}' instead`));
});

test.after(() => tmp.cleanup());

test.run();

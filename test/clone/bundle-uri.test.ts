// `--bundle-uri`, beside `git clone --bundle-uri` with the same bundle and
// server: a bundle of the upstream's first commits, given as a path and over
// HTTP, is unbundled first (its branches kept as refs/bundles/*), and the
// fetch brings only the rest. A bundle that is missing or is no bundle is a
// warning and the clone goes on; with --depth it is refused before anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { clone } from '../../host/clone.ts';
import { AbortError } from '../../host/errors.ts';
import { tempDir } from '../helpers/git.ts';
import { assertSameClone, git, gitEnv, runIn as run, wasmgitIn as wasmgit } from './fixture.ts';


let tmp: { dir: string; cleanup(): void };
let server: HttpServer;
let files: HttpServer;

test.before(async () => {
  tmp = tempDir('bundle-uri');
  const d = tmp.dir;
  git(d, ['init', '-q', '-b', 'main', 'work']);
  const work = join(d, 'work');
  const commit = (i: number) => {
    writeFileSync(join(work, 'a.txt'), `${'line\n'.repeat(40)}edit ${i}\n`);
    writeFileSync(join(work, `f${i}.txt`), `file ${i}\n`);
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', `commit ${i}`]);
  };
  for (let i = 1; i <= 3; i++) commit(i);
  git(work, ['branch', 'side']);
  // The bundle: what upstream had then, both branches.
  git(work, ['bundle', 'create', '-q', join(d, 'old.bundle'), '--all']);
  for (let i = 4; i <= 5; i++) commit(i);
  git(work, ['tag', '-a', '-m', 'v1', 'v1']);
  git(d, ['clone', '-q', '--bare', 'work', 'upstream.git']);
  writeFileSync(join(d, 'not-a-bundle.txt'), 'just text\n');
  server = await startHttpServer({ root: d });
  files = await startHttpServer({ root: d, dumb: true });
});

test.after(async () => {
  await server.close();
  await files.close();
  tmp.cleanup();
});

/** Objects a clone holds, loose or packed, and its packs. */
function held(dir: string): string {
  const c = git(dir, ['count-objects', '-v']);
  return ['count', 'in-pack', 'packs'].map((k) => `${k} ${new RegExp(`^${k}: (\\d+)$`, 'm').exec(c)![1]}`).join(', ');
}

for (const [label, uri] of [['a path', () => join(tmp.dir, 'old.bundle')], ['an http:// URL', () => `http://127.0.0.1:${files.port}/old.bundle`]] as const) {
  test(`--bundle-uri with ${label}: unbundled first, refs/bundles/* kept, only the rest fetched; as git`, async () => {
    const url = server.url('upstream.git');
    const name = label.includes('http') ? 'http' : 'path';
    const g = await run('git', ['clone', `--bundle-uri=${uri()}`, url, `git-${name}`], tmp.dir);
    const w = await wasmgit(['clone', `--bundle-uri=${uri()}`, url, `ours-${name}`], tmp.dir);
    assert.is(w.code, 0, w.stderr);
    assert.is(w.code, g.code, g.stderr);
    assert.is(w.stderr.replace(`ours-${name}`, `git-${name}`), g.stderr);
    const ours = join(tmp.dir, `ours-${name}`);
    const theirs = join(tmp.dir, `git-${name}`);
    assertSameClone(ours, theirs);
    assert.match(git(ours, ['for-each-ref', 'refs/bundles']), /refs\/bundles\/main\n.*refs\/bundles\/side\n$/s);
    assert.is(held(ours), held(theirs), 'the bundle pack and a pack of what it lacked, as git holds them');
    assert.is(held(ours).split(', ')[2], 'packs 2');
  });
}

test('a bundle URI that is missing or is no bundle: git\'s warnings, and the clone goes on', async () => {
  const url = server.url('upstream.git');
  for (const [uri, warning] of [
    [join(tmp.dir, 'missing.bundle'), `warning: failed to download bundle from URI '${join(tmp.dir, 'missing.bundle')}'`],
    [join(tmp.dir, 'not-a-bundle.txt'), `warning: file at URI '${join(tmp.dir, 'not-a-bundle.txt')}' is not a bundle or bundle list`],
  ]) {
    const g = await run('git', ['clone', `--bundle-uri=${uri}`, url, 'git-warn'], tmp.dir);
    const w = await wasmgit(['clone', `--bundle-uri=${uri}`, url, 'ours-warn'], tmp.dir);
    assert.is(w.code, 0, w.stderr);
    assert.is(w.code, g.code);
    const warnings = (s: string) => s.split('\n').filter((l) => l.startsWith('warning: '));
    assert.equal(warnings(w.stderr), warnings(g.stderr), uri);
    assert.ok(w.stderr.includes(warning), w.stderr);
    assertSameClone(join(tmp.dir, 'ours-warn'), join(tmp.dir, 'git-warn'));
    await run('rm', ['-rf', 'ours-warn', 'git-warn'], tmp.dir);
  }
});

test('a clone interrupted while the bundle downloads stops at once and leaves nothing', async () => {
  const stalled = await startHttpServer({ root: tmp.dir, fault: { stall: true } });
  try {
    const controller = new AbortController();
    const dir = join(tmp.dir, 'ours-aborted');
    setTimeout(() => controller.abort(new AbortError('interrupted')), 300);
    const started = Date.now();
    const err = await clone({ repository: server.url('upstream.git'), directory: dir, bundleUri: `http://127.0.0.1:${stalled.port}/old.bundle`, env: gitEnv, signal: controller.signal }).catch((e) => e);
    assert.instance(err, AbortError);
    assert.ok(Date.now() - started < 10_000, 'promptly');
    assert.not.ok(existsSync(dir));
  } finally {
    await stalled.close();
  }
});

test('--bundle-uri with --depth: refused before anything is made, as git', async () => {
  const url = server.url('upstream.git');
  const args = ['clone', `--bundle-uri=${join(tmp.dir, 'old.bundle')}`, '--depth', '1', url];
  const g = await run('git', [...args, 'git-depth'], tmp.dir);
  const w = await wasmgit([...args, 'ours-depth'], tmp.dir);
  assert.is(w.code, 128);
  assert.is(w.code, g.code);
  assert.is(w.stderr, g.stderr);
  assert.not.ok(existsSync(join(tmp.dir, 'ours-depth')));
});

test.run();

// A repository with thousands of refs, cloned by wasmgit and by git from the
// same smart-HTTP server (protocol v2): the refs, packed-refs byte for byte and
// everything else git can see must be the same, for the default, --bare and
// --mirror mappings. Names include non-ASCII ones (whose UTF-16 order differs
// from the UTF-8 byte order packed-refs is sorted in) and `$&`/`$$`, which a
// refspec destination must keep literally. A server that slips one invalid
// name in among thousands of good ones is refused with that name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clone, type CloneOptions } from '../../host/clone.ts';
import { InvalidRefNameError } from '../../host/errors.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { tempDir } from '../helpers/git.ts';
import { startTamperingServer } from '../security/tamper.ts';
import { FastImport, assertSameClone, git, gitAsync, gitEnv } from './fixture.ts';

const TAGS = 3000;
// U+FF61 sorts after U+1F600's surrogates in UTF-16 but before it in UTF-8.
const ODD = ['refs/tags/ünïcödé', 'refs/tags/\uff61half', 'refs/tags/\u{1F600}smile', 'refs/tags/a$&b', 'refs/tags/a$$b', 'refs/tags/a$1b', 'refs/heads/b$&x', 'refs/heads/\u{1F600}/x'];

let base: { dir: string; cleanup(): void };
let server: HttpServer;
let work: string;

test.before(async () => {
  base = tempDir('many-refs');
  const root = join(base.dir, 'served');
  work = join(base.dir, 'work');
  mkdirSync(root);
  mkdirSync(work);
  const repo = join(root, 'repo.git');
  git(base.dir, ['init', '-q', '--bare', '-b', 'main', repo]);
  const fi = new FastImport();
  const commits: number[] = [];
  for (let c = 0; c < 60; c++) {
    const blob = fi.blob(`version ${c}\n`);
    commits.push(fi.commit('refs/heads/main', `commit ${c}`, [`M 100644 :${blob} f.txt`], c ? `:${commits[c - 1]}` : undefined));
  }
  for (let i = 0; i < TAGS; i++) fi.reset(`refs/tags/t${i}`, `:${commits[i % commits.length]}`);
  for (let i = 0; i < 40; i++) fi.tag(`annotated-${i}`, `:${commits[i]}`, `tag ${i}\n`);
  for (let i = 0; i < 30; i++) fi.reset(`refs/heads/topic/${i}`, `:${commits[i]}`);
  for (const name of ODD) fi.reset(name, `:${commits[5]}`);
  fi.run(repo);
  git(repo, ['pack-refs', '--all']);
  server = await startHttpServer({ root });
});

test.after(async () => {
  await server.close();
  base.cleanup();
});

let seq = 0;
async function both(args: string[], opts: Omit<CloneOptions, 'repository'>, bare = false) {
  const url = server.url('repo.git');
  const n = ++seq;
  const theirs = join(work, `git-${n}`);
  const ours = join(work, `ours-${n}`);
  await gitAsync(work, ['-c', 'protocol.version=2', 'clone', '-q', ...args, url, theirs]);
  await clone({ ...opts, repository: url, directory: ours, env: gitEnv, cwd: work });
  assertSameClone(ours, theirs, { bare });
  const packed = (d: string) => readFileSync(join(d, bare ? '' : '.git', 'packed-refs'));
  assert.ok(packed(ours).equals(packed(theirs)), 'packed-refs byte for byte');
  return ours;
}

test('thousands of tags and branches: the same refs and packed-refs as git clone', async () => {
  const ours = await both([], {});
  const refs = git(ours, ['for-each-ref', '--format=%(refname)']).split('\n');
  assert.ok(refs.length > TAGS + 40 + 30, `${refs.length} refs`);
  for (const name of ODD) {
    const local = name.startsWith('refs/heads/') ? `refs/remotes/origin/${name.slice(11)}` : name;
    assert.ok(refs.includes(local), `${local} is cloned under its own name`);
  }
});

test('--bare and --mirror (refs mapped to themselves)', async () => {
  await both(['--bare'], { bare: true }, true);
  await both(['--mirror'], { mirror: true }, true);
});

test('an invalid ref name among thousands of valid ones is refused by name, and nothing is left', async () => {
  const bad = 'refs/tags/bad..name';
  const front = await startTamperingServer(join(base.dir, 'served'), {
    refs: (lines) => [...lines.slice(0, lines.length >> 1), `${lines[1].slice(0, 40)} ${bad}`, ...lines.slice(lines.length >> 1)],
  });
  try {
    const dir = join(work, 'refused');
    const err = await clone({ repository: front.url('repo.git'), directory: dir, env: gitEnv, cwd: work }).catch((e) => e);
    assert.instance(err, InvalidRefNameError);
    assert.is((err as InvalidRefNameError).ref, bad);
    assert.match((err as Error).message, /'refs\/tags\/bad\.\.name' is not a valid ref name: it contains '\.\.'/);
    assert.not.ok(existsSync(dir), 'no directory left behind');
  } finally {
    await front.close();
  }
});

test.run();

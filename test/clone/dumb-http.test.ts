// Clones from a dumb HTTP server (static files over a bare repository on which
// `git update-server-info` ran): wasmgit against `git clone` of the same
// repository from the same server. The repository is partly packed (two packs)
// and partly loose, so the walk fetches loose objects, reads objects/info/packs
// and the packs' .idx, and downloads packs whole. Real git must not be able to
// tell the clones apart, down to which objects are loose and which packed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { clone, type CloneOptions } from '../../host/clone.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { assertSameClone, git, gitAsync, gitEnv, makeFixture, runIn, wasmgitIn, type CompareOptions, type Fixture } from './fixture.ts';
import { tempDir } from '../helpers/git.ts';

let fx: Fixture;
let dumb: HttpServer;
let work: ReturnType<typeof tempDir>;
let repo: string;

/** A commit on `branch` made with plumbing in the bare repository: its blob, trees and commit are loose objects. */
function looseCommit(branch: string, path: string, content: string, mode = '100644', dir = repo): string {
  const env = { ...gitEnv, GIT_INDEX_FILE: join(work.dir, 'tmp-index') };
  const run = (args: string[], input?: string) => execFileSync('git', args, { cwd: dir, env, input, encoding: 'utf8' }).trim();
  run(['read-tree', branch]);
  const blob = run(['hash-object', '-w', '--stdin'], content);
  run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`]);
  const commit = run(['commit-tree', run(['write-tree']), '-p', branch, '-m', `loose: ${path}`]);
  run(['update-ref', `refs/heads/${branch}`, commit]);
  rmSync(join(work.dir, 'tmp-index'), { force: true });
  return commit;
}

test.before(async () => {
  fx = makeFixture({ commits: 40 });
  work = tempDir('dumb-http');
  repo = fx.path('repo.git');
  // All of the fixture in one pack, two commits in a second pack, then loose
  // commits (a new directory, an executable file) and a loose annotated tag.
  git(repo, ['repack', '-a', '-d', '-q']);
  looseCommit('main', 'packed-later.txt', 'in the second pack\n');
  looseCommit('dev', 'dev-later.txt', 'dev, second pack\n');
  git(repo, ['repack', '-d', '-q']);
  looseCommit('main', 'loose/new.txt', 'a loose blob in a loose tree\n');
  looseCommit('main', 'loose/run.sh', '#!/bin/sh\necho loose\n', '100755');
  git(repo, ['tag', '-a', '-m', 'a loose tag', 'v3.0', 'main']);
  git(repo, ['update-server-info']);
  dumb = await startHttpServer({ root: fx.root, dumb: true });
});

test.after(async () => {
  await dumb.close();
  fx.cleanup();
  work.cleanup();
});

let seq = 0;
/** `git clone` and wasmgit's clone of the same URL: the same for git (refs, HEAD, config, work tree, fsck, status) and the same objects. */
async function both(args: string[], opts: Omit<CloneOptions, 'repository'>, cmp: CompareOptions = {}, url = dumb.url('repo.git'), env = gitEnv) {
  const n = ++seq;
  const theirs = join(work.dir, `git-${n}`);
  const ours = join(work.dir, `ours-${n}`);
  await gitAsync(work.dir, ['clone', '-q', ...args, url, theirs], env);
  await clone({ ...opts, repository: url, directory: ours, env, cwd: work.dir });
  assertSameClone(ours, theirs, cmp);
  const objects = (d: string) => git(d, ['cat-file', '--batch-all-objects', '--batch-check']);
  assert.fixture(objects(ours), objects(theirs), 'git cat-file --batch-all-objects --batch-check');
  return { ours: cmp.bare ? ours : join(ours, '.git'), theirs: cmp.bare ? theirs : join(theirs, '.git') };
}

/** The files under objects/ (loose objects, packs and their .idx), with the .idx bytes. */
function objectFiles(gitDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!p.includes('/info/')) out.push(`${relative(gitDir, p)}${p.endsWith('.idx') ? ` ${readFileSync(p).toString('base64')}` : ''}`);
    }
  };
  walk(join(gitDir, 'objects'));
  return out;
}

test('clone: as git clones it; loose objects stored loose, both packs downloaded whole with a byte-identical .idx', async () => {
  const before = dumb.requests.length;
  const { ours, theirs } = await both([], {});
  assert.equal(objectFiles(ours), objectFiles(theirs), 'objects/: the same loose files, packs and .idx bytes');
  const files = objectFiles(ours);
  assert.is(files.filter((f) => f.endsWith('.pack')).length, 2, `two packs: ${files}`);
  assert.ok(files.filter((f) => /^objects\/[0-9a-f]{2}\//.test(f)).length >= 8, 'loose objects');
  // Only plain GETs: info/refs (asked for as a smart client asks), HEAD, objects/...
  const ours_ = dumb.requests.slice(before).filter((r) => r.headers['user-agent']?.includes('wasmgit'));
  assert.ok(ours_.every((r) => r.method === 'GET'), 'GETs only');
  const paths = ours_.map((r) => r.url.replace(/^\/repo\.git\//, ''));
  assert.is(paths[0], 'info/refs?service=git-upload-pack');
  assert.is(paths[1], 'HEAD');
  for (const p of ['objects/info/packs', '.idx', '.pack']) assert.ok(paths.some((x) => x.endsWith(p)), `asked for ${p}: ${paths.join(' ')}`);
});

test('progress: the walk counts objects as git\'s "Fetching objects" meter does, ending at every object reachable from the refs', async () => {
  const walked: { done: number; final?: boolean }[] = [];
  await clone({ repository: dumb.url('repo.git'), directory: join(work.dir, 'progress'), bare: true, env: gitEnv, cwd: work.dir, onProgress: (e) => void (e.phase === 'walking' && walked.push(e)) });
  // rev-list --objects lists each object once, gitlinks aside: what walker.c's loop() counts.
  const reachable = git(repo, ['rev-list', '--objects', '--all']).trim().split('\n').length;
  assert.ok(walked.length > 10, `${walked.length} events`);
  assert.equal(walked[walked.length - 1], { phase: 'walking', done: reachable, final: true });
  assert.ok(walked.every((e, i) => i === 0 || e.done >= walked[i - 1].done), 'counts only go up');
  assert.is(walked.filter((e) => e.final).length, 1);
});

test('--bare and --mirror', async () => {
  await both(['--bare'], { bare: true }, { bare: true });
  await both(['--mirror'], { mirror: true }, { bare: true });
});

test('-b <annotated tag>, -b <branch> --single-branch, --no-checkout', async () => {
  await both(['-b', 'v1.0'], { branch: 'v1.0' });
  await both(['-b', 'dev', '--single-branch'], { branch: 'dev', singleBranch: true });
  await both(['--no-checkout'], { noCheckout: true }, { checkout: false });
});

test('--reference: what the reference repository has is walked through, not fetched (the same loose objects and packs as git\'s)', async () => {
  // Everything but the two loose commits on main and the loose tag.
  const reference = join(work.dir, 'reference.git');
  git(work.dir, ['clone', '-q', '--mirror', repo, reference]);
  git(reference, ['update-ref', 'refs/heads/main', 'main~2']);
  git(reference, ['tag', '-d', 'v3.0']);
  git(reference, ['gc', '-q', '--prune=now']);
  const { ours, theirs } = await both(['--reference', reference], { reference: [reference] });
  assert.equal(objectFiles(ours), objectFiles(theirs), 'objects/: only what the reference lacks, as git fetched it');
  const files = objectFiles(ours);
  assert.ok(files.length > 0 && files.every((f) => /^objects\/[0-9a-f]{2}\//.test(f)), `loose objects only, no pack downloaded: ${files.join(' ')}`);
});

test('--filter and --shallow-exclude: unused, as git 2.39 leaves them with dumb HTTP (a full clone, the filter recorded)', async () => {
  await both(['--filter=blob:none'], { filter: 'blob:none' });
  await both(['--shallow-exclude=v1.0'], { shallowExclude: ['v1.0'] });
});

test('GIT_SMART_HTTP=0: a smart server read as a dumb one (plain GETs of info/refs and the files)', async () => {
  const smart = await startHttpServer({ root: fx.root });
  try {
    const env = { ...gitEnv, GIT_SMART_HTTP: '0' };
    await both([], {}, {}, smart.url('repo.git'), env);
    const ours = smart.requests.filter((r) => r.headers['user-agent']?.includes('wasmgit'));
    assert.ok(ours.length > 3);
    assert.ok(ours.every((r) => r.method === 'GET' && !r.url.includes('service=')), ours.map((r) => `${r.method} ${r.url}`).join('\n'));
    assert.is(ours[0].url, '/repo.git/info/refs');
  } finally {
    await smart.close();
  }
});

test('credentials and a redirect: the files are asked for under the redirected base, with the credentials', async () => {
  const s = await startHttpServer({ root: fx.root, dumb: true, redirect: true, basicAuth: { user: 'u', pass: 'p' } });
  try {
    const url = s.url('repo.git').replace('http://', 'http://u:p@');
    const g = await runIn('git', ['clone', '-q', '--bare', url, 'git-auth'], work.dir);
    assert.is(g.code, 0, g.stderr);
    const w = await wasmgitIn(['clone', '-q', '--bare', url, 'ours-auth'], work.dir);
    assert.is(w.code, 0, w.stderr);
    assert.is(w.stderr, g.stderr);
    assertSameClone(join(work.dir, 'ours-auth'), join(work.dir, 'git-auth'), { bare: true });
    const ours = s.requests.filter((r) => r.headers['user-agent']?.includes('wasmgit'));
    assert.ok(ours.slice(1).every((r) => r.url.startsWith('/repo.git/') && r.headers.authorization), ours.map((r) => r.url).join('\n'));
  } finally {
    await s.close();
  }
});

/** Both CLIs on the same arguments: the same exit status, the same stderr (directory names aside), and no directory left behind. */
async function bothFail(args: string[], url: string): Promise<{ ours: string; theirs: string }> {
  const n = ++seq;
  const g = await runIn('git', ['clone', ...args, url, `git-${n}`], work.dir);
  const w = await wasmgitIn(['clone', ...args, url, `ours-${n}`], work.dir);
  assert.is(g.code, 128, g.stderr);
  assert.is(w.code, g.code, w.stderr);
  assert.not.ok(existsSync(join(work.dir, `ours-${n}`)), 'nothing left behind');
  return { ours: w.stderr.replace(`ours-${n}`, 'DIR'), theirs: g.stderr.replace(`git-${n}`, 'DIR') };
}

test('--depth and --shallow-since: git\'s fatal error for dumb HTTP', async () => {
  for (const args of [['--depth', '1'], ['--shallow-since=2020-01-01']]) {
    const { ours, theirs } = await bothFail(args, dumb.url('repo.git'));
    assert.match(theirs, /fatal: dumb http transport does not support shallow capabilities/);
    assert.fixture(ours, theirs);
  }
});

/** A copy of the served repository, spoilt by `spoil`. */
function spoiltCopy(name: string, spoil: (dir: string) => void): string {
  const dir = join(fx.root, name);
  cpSync(repo, dir, { recursive: true });
  spoil(dir);
  return dumb.url(name);
}

const looseFile = (dir: string, oid: string) => join(dir, 'objects', oid.slice(0, 2), oid.slice(2));

test('a loose object missing on the server: git\'s messages (what, under which URL, while processing which commit), exit 128, nothing left', async () => {
  const blob = git(repo, ['rev-parse', 'main:loose/new.txt']).trim();
  const tree = git(repo, ['rev-parse', 'main:loose']).trim();
  const tip = git(repo, ['rev-parse', 'main']).trim();
  for (const [name, oid] of [['no-blob.git', blob], ['no-tree.git', tree], ['no-tip.git', tip]]) {
    const url = spoiltCopy(name, (d) => rmSync(looseFile(d, oid)));
    const { ours, theirs } = await bothFail([], url);
    assert.match(theirs, `Unable to find ${oid} under ${url}`);
    assert.fixture(ours, theirs);
  }
});

test('a corrupt loose object on the server (another object\'s file): "has bad hash", as git', async () => {
  const blob = git(repo, ['rev-parse', 'main:loose/new.txt']).trim();
  const other = git(repo, ['rev-parse', 'main:loose/run.sh']).trim();
  const url = spoiltCopy('bad-hash.git', (d) => cpSync(looseFile(d, other), looseFile(d, blob)));
  const { ours, theirs } = await bothFail([], url);
  assert.match(theirs, `error: File ${blob} has bad hash`);
  assert.fixture(ours, theirs);
});

test('a loose object that is not zlib, a truncated pack: an error naming the file (and the offset), then git\'s lines', async () => {
  const blob = git(repo, ['rev-parse', 'main:loose/new.txt']).trim();
  const url = spoiltCopy('not-zlib.git', (d) => execFileSync('sh', ['-c', `chmod u+w '${looseFile(d, blob)}' && echo garbage > '${looseFile(d, blob)}'`]));
  let { ours, theirs } = await bothFail([], url);
  const fileUrl = `${url}/objects/${blob.slice(0, 2)}/${blob.slice(2)}`;
  assert.match(ours, `error: File ${blob} (${fileUrl}) corrupt: zlib: incorrect header check`);
  // git says the inflate error on a line of its own; after that, the same lines.
  const after = (s: string) => s.slice(s.indexOf(`error: Unable to find`));
  assert.fixture(after(ours), after(theirs));

  const packs = readdirSync(join(repo, 'objects/pack')).filter((p) => p.endsWith('.pack'));
  const biggest = packs.sort((a, b) => statSync(join(repo, 'objects/pack', b)).size - statSync(join(repo, 'objects/pack', a)).size)[0];
  const cut = spoiltCopy('cut-pack.git', (d) => truncateSync(join(d, 'objects/pack', biggest), 5000));
  ({ ours, theirs } = await bothFail([], cut));
  assert.match(ours, new RegExp(`error: ${cut}/objects/pack/${biggest}: pack truncated at offset 5000`));
  assert.match(theirs, /fatal: early EOF/);
  assert.fixture(after(ours), after(theirs));
});

test('objects only in the server\'s alternates: git\'s warning and failure by default; with http.followRedirects=true, where git fetches from them, a refusal saying so', async () => {
  const borrower = join(fx.root, 'borrower.git');
  git(fx.root, ['init', '-q', '--bare', '-b', 'main', borrower]);
  writeFileSync(join(borrower, 'objects/info/alternates'), '../../repo.git/objects\n');
  git(borrower, ['update-ref', 'refs/heads/main', git(repo, ['rev-parse', 'main']).trim()]);
  looseCommit('main', 'borrower.txt', 'only this commit is here\n', '100644', borrower);
  git(borrower, ['update-server-info']);
  const url = dumb.url('borrower.git');
  const { ours, theirs } = await bothFail([], url);
  assert.match(theirs, `warning: alternate disabled by http.followRedirects: ${dumb.url('repo.git')}/\n`);
  assert.fixture(ours, theirs);

  const g = await runIn('git', ['-c', 'http.followRedirects=true', 'clone', '-q', url, 'git-borrower'], work.dir);
  assert.is(g.code, 0, `git follows the alternate: ${g.stderr}`);
  const w = await wasmgitIn(['-c', 'http.followRedirects=true', 'clone', '-q', url, 'ours-borrower'], work.dir);
  assert.is(w.code, 128, w.stderr);
  assert.match(w.stderr, `warning: not adding alternate object store: ${dumb.url('repo.git')}/ (wasmgit does not fetch from a dumb server's alternates)\n`);
  assert.match(w.stderr, /\nCannot obtain needed commit [0-9a-f]{40}\nwhile processing commit [0-9a-f]{40}\.\nerror: fetch failed\.\n$/);
  assert.not.ok(existsSync(join(work.dir, 'ours-borrower')), 'nothing left behind');
});

test('ls-remote: the same lines as git ls-remote', async () => {
  const url = dumb.url('repo.git');
  for (const args of [['URL'], ['--symref', 'URL'], ['--heads', 'URL'], ['--tags', '--refs', 'URL'], ['URL', 'main', 'v*']]) {
    const flags = args.map((a) => (a === 'URL' ? url : a));
    const g = await runIn('git', ['ls-remote', ...flags], work.dir);
    const w = await wasmgitIn(['ls-remote', ...flags], work.dir);
    assert.is(g.code, 0, g.stderr);
    assert.is(w.code, 0, w.stderr);
    assert.fixture(w.stdout, g.stdout, `ls-remote ${args.join(' ')}`);
  }
  // A path that is no repository: git's words, exit 128.
  const g = await runIn('git', ['ls-remote', dumb.url('nothing.git')], work.dir);
  const w = await wasmgitIn(['ls-remote', dumb.url('nothing.git')], work.dir);
  assert.is(w.code, g.code);
  assert.is(w.stderr, g.stderr);
});

test.run();

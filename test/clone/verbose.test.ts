// -v and -q as git counts them, and what -v shows over smart HTTP: a
// `POST git-upload-pack (N bytes)` line per request, `(gzip N to M bytes)`
// for one over 1 KiB, which goes gzipped as git's does. Each case beside
// `git clone` with the same options and server: the same lines in the same
// form (the sizes differ, as the two clients' requests do).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';
import { tempDir } from '../helpers/git.ts';
import { assertSameClone, FastImport, git, runIn as run, wasmgitIn as wasmgit } from './fixture.ts';


let tmp: { dir: string; cleanup(): void };
let server: HttpServer;

test.before(async () => {
  tmp = tempDir('verbose');
  const repo = join(tmp.dir, 'repo.git');
  git(tmp.dir, ['init', '-q', '--bare', '-b', 'main', repo]);
  // 40 branches at 40 commits: the fetch request's wants pass 1 KiB.
  const fi = new FastImport();
  let prev: number | undefined;
  for (let c = 0; c < 40; c++) {
    prev = fi.commit(`refs/heads/b${c}`, `commit ${c}`, [`M 100644 :${fi.blob(`v${c}\n`)} f.txt`], prev !== undefined ? `:${prev}` : undefined);
  }
  fi.reset('refs/heads/main', `:${prev}`);
  fi.run(repo);
  server = await startHttpServer({ root: tmp.dir });
});

test.after(async () => {
  await server.close();
  tmp.cleanup();
});

/** The verbose HTTP lines, with their sizes masked. */
const posts = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('POST '))
    .map((l) => l.replace(/\(\d+ bytes\)/, '(N bytes)').replace(/\(gzip \d+ to \d+ bytes\)/, '(gzip N to M bytes)'));

let n = 0;
async function both(options: string[], config: string[] = []) {
  const url = server.url('repo.git');
  const k = ++n;
  const theirs = await run('git', [...config, 'clone', ...options, url, `git-${k}`], tmp.dir);
  const ours = await wasmgit([...config, 'clone', ...options, url, `ours-${k}`], tmp.dir);
  assert.is(ours.code, 0, ours.stderr);
  assert.is(theirs.code, 0, theirs.stderr);
  assertSameClone(join(tmp.dir, `ours-${k}`), join(tmp.dir, `git-${k}`));
  return { ours: ours.stderr.replace(/ours-\d+/g, 'X'), theirs: theirs.stderr.replace(/git-\d+/g, 'X') };
}

test('-v over HTTP v2: a POST line per request, the large one gzipped, as git', async () => {
  const { ours, theirs } = await both(['-v']);
  assert.equal(posts(ours), posts(theirs));
  assert.equal(posts(ours), ['POST git-upload-pack (N bytes)', 'POST git-upload-pack (gzip N to M bytes)']);
  assert.ok(ours.startsWith("Cloning into 'X'...\n"), ours);
});

test('-v over HTTP v0: one POST, as git', async () => {
  const { ours, theirs } = await both(['-v'], ['-c', 'protocol.version=0']);
  assert.equal(posts(ours), posts(theirs));
  assert.is(posts(ours).length, 1);
});

test('-q then -v is verbose, -v then -q is quiet, as git counts them', async () => {
  const verbose = await both(['-q', '-v']);
  assert.equal(posts(verbose.ours), posts(verbose.theirs));
  assert.is(posts(verbose.ours).length, 2);
  const quiet = await both(['-v', '-q']);
  assert.is(quiet.ours, quiet.theirs);
  assert.is(quiet.ours, '');
});

test.run();

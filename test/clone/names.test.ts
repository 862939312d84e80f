// Names a clone derives or accepts, checked against git itself: ref names against
// `git check-ref-format`, the guessed directory against what `git clone` announces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refNameProblem, assertRefName } from '../../host/repo/refname.ts';
import { guessDirectoryName } from '../../host/clone/dirname.ts';
import { InvalidRefNameError } from '../../host/errors.ts';

const names = [
  'refs/heads/main', 'refs/heads/feature/x', 'refs/heads/../x', 'refs/heads/a..b', 'refs/heads/.hidden', 'refs/heads/x.lock',
  'refs/heads/x.lock/y', 'refs/heads/a b', 'refs/heads/a\tb', 'refs/heads/a\x7fb', 'refs/heads/a~1', 'refs/heads/a^', 'refs/heads/a:b',
  'refs/heads/a?', 'refs/heads/a*', 'refs/heads/a[', 'refs/heads/a\\b', 'refs/heads/a/', '/refs/heads/a', 'refs//heads/a',
  'refs/heads/a.', 'refs/heads/a@{1}', '@', 'refs/heads/@', 'main', 'refs/tags/v1.0', 'refs/heads/ünïcode', 'refs/heads/a.b',
  'refs/heads/-dash', 'refs/heads/x/.y',
];

test('ref names: accepted and refused exactly as git check-ref-format does', () => {
  for (const name of names) {
    const git = spawnSync('git', ['check-ref-format', name]).status === 0;
    assert.is(refNameProblem(name) === null, git, `${JSON.stringify(name)}: git says ${git ? 'valid' : 'invalid'}`);
  }
});

test('a refused ref name is named in the error with the rule it breaks', () => {
  try {
    assertRefName('refs/heads/../x');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, InvalidRefNameError);
    assert.is((e as InvalidRefNameError).ref, 'refs/heads/../x');
    assert.match((e as Error).message, /'refs\/heads\/\.\.\/x' is not a valid ref name: it contains '\.\.'/);
  }
});

// `git clone` prints the directory it guessed before it contacts anything: point
// it at a closed port (and a failing ssh) and read the name off its first line.
function gitGuess(url: string, bare: boolean): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-guess-'));
  try {
    const r = spawnSync('git', ['clone', ...(bare ? ['--bare'] : []), url], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_SSH_COMMAND: 'false', GIT_TERMINAL_PROMPT: '0' },
    });
    const m = /Cloning into (?:bare repository )?'(.*)'\.\.\./.exec(r.stderr);
    return m ? m[1] : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const urls = [
  'http://127.0.0.1:9/repo.git', 'http://127.0.0.1:9/repo.git/', 'http://127.0.0.1:9/repo/.git', 'http://127.0.0.1:9/repo/.git///',
  'http://127.0.0.1:9/a/b/c', 'http://user:pw@127.0.0.1:9/x.git', 'http://127.0.0.1:9', 'git://127.0.0.1:9/proj.git', 'host:path/to/r.git',
  'host:r', 'user@host:r.git', 'ssh://user@host:22/~/rep.git', 'http://127.0.0.1:9/with%20space.git', 'host:/foo/bar:2222.git', 'file:///tmp/nonexistent/z.git',
];

test('the directory guessed from a URL is the one git clone guesses (also --bare)', () => {
  for (const url of urls) {
    for (const bare of [false, true]) {
      const theirs = gitGuess(url, bare);
      if (theirs === null) continue;
      assert.is(guessDirectoryName(url, bare), theirs, `${url}${bare ? ' --bare' : ''}`);
    }
  }
  // At least most URLs must have produced an oracle answer, or this test proves nothing.
  assert.ok(urls.filter((u) => gitGuess(u, false) !== null).length >= urls.length - 2);
});

test('a URL with nothing to name a directory after is refused as git refuses it', () => {
  for (const url of ['http://', 'file:///', ':', 'host:.git']) {
    const git = spawnSync('git', ['clone', url], { encoding: 'utf8', cwd: tmpdir() });
    assert.match(git.stderr, /No directory name could be guessed/, `git refuses ${url}`);
    assert.throws(() => guessDirectoryName(url, false), /No directory name could be guessed/, url);
  }
});

test.run();

// The pathspecs of `--recurse-submodules=<pathspec>` (submodule.active) against
// git's own matcher: for each pathspec set, the paths `git ls-files -- <specs>`
// lists from an index must be exactly those wasmgit's matcher accepts, and a
// pathspec git refuses must be refused with git's message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { parsePathspec } from '../../host/clone/pathspec.ts';
import { git, gitEnv, tempDir } from '../helpers/git.ts';

const tmp = tempDir('pathspec');

const paths = [
  'b', 'mods/a', 'mods/b/deep/nested', 'Mods/X', 'lib*', 'a[1]', 'a1', 'x/y/z.txt', 'dir with space/f', 'ünï/c', 'mods-x/a', 'modsa',
  'a/b/c/d', 'a/c', 'ab/c', 'x\\y', '[b]', 'a]b', 'a-b', 'foo.c', 'sub/foo.c', 'sub/deep/foo.c',
];

const specs: string[][] = [
  ['.'], ['mods'], ['mods/'], ['mods/a'], ['mods/a/'], ['MODS'], [':(icase)MODS'], ['*a'], ['mo*'], ['mo**a'], ['m?ds'], ['m?ds/*'],
  [':!b'], [':^mods', 'mods/b/deep'], [':(exclude)mods'], [':!b', ':!mods'], ['b', 'mods'], ['lib*'], [':(literal)lib*'], ['a[1]'], ['a[!b]'],
  ['a[^0-9]'], ['a[[:digit:]]'], ['a[[:alpha:]]*'], ['[[]b]'], ['a]b'], ['a[]]b'], ['a[a-c-]b'], ['*.c'], [':(glob)*.c'],
  [':(glob)**/foo.c'], [':(glob)sub/**'], [':(glob)sub/**/foo.c'], [':(glob)a/**/d'], [':(glob)*/c'], ['*/c'], ['x\\\\y'], ['x\\y'],
  ['ü*'], ['ünï'], ['./mods/../b'], [':/mods'], [':(top)b'], ['a/b/'], [':(icase)mods/A'], [':(icase,glob)MODS/*'], ['a?c'], ['**'],
  [':(glob)**'], ['a[:b]'], ['[[:upper:]]*'], [':(icase)[[:upper:]]*'], ['*[[:space:]]*'], ['mods/b/deep/nested/'], ['mods/b/deep/'],
];

test('matches exactly the paths git ls-files matches', () => {
  const repo = tmp.dir;
  git(repo, ['init', '-q']);
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: 'x' }).trim();
  // An index holding the paths, no work tree needed.
  git(repo, ['update-index', '--add', '--index-info'], { input: paths.map((p) => `100644 ${blob}\t${p}\n`).join('') });
  for (const s of specs) {
    const want = execFileSync('git', ['ls-files', '-z', '--', ...s], { cwd: repo, env: gitEnv, encoding: 'utf8' }).split('\0').filter(Boolean).sort();
    const ps = parsePathspec(s);
    const got = paths.filter((p) => ps.matches(p)).sort();
    assert.equal(got, want, JSON.stringify(s));
  }
});

test('a trailing slash also matches the directory itself (a submodule)', () => {
  assert.ok(parsePathspec(['mods/a/']).matches('mods/a', true));
  assert.not.ok(parsePathspec(['mods/a/']).matches('mods/a', false));
});

test('refused as git refuses them, with its message', () => {
  for (const bad of ['', ':(foo)x', ':(glob', ':#x']) {
    const r = spawnSync('git', ['ls-files', '--', bad], { cwd: tmp.dir, env: gitEnv, encoding: 'utf8' });
    assert.is(r.status, 128, bad);
    const message = /^fatal: (.*)$/m.exec(r.stderr)![1];
    assert.throws(() => parsePathspec([bad]), (e: Error) => e.message === message, `${JSON.stringify(bad)}: ${message}`);
  }
});

test.after(() => tmp.cleanup());
test.run();

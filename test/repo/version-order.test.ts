// versionCompare() orders names as git's --sort=version:refname does: checked
// against `git tag -l --sort=version:refname` on tags whose names mix digit
// runs, leading zeros, dots and letters, and with versionsort.suffix lists
// on names carrying those suffixes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { versionCompare } from '../../host/repo/version-order.ts';
import { gitIdentityEnv } from '../helpers/git.ts';

/**
 * A repository with one commit, for `work(g, head)` to tag and sort in: `g`
 * runs git there and returns its output, `head` is the commit.
 */
function inRepository(work: (g: (args: string[], input?: string) => string, head: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-version-order-'));
  try {
    const env = { ...process.env, ...gitIdentityEnv, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const g = (args: string[], input?: string) => {
      const r = spawnSync('git', args, { cwd: dir, env, input, encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      return r.stdout;
    };
    g(['init', '-q']);
    g(['commit', '-q', '--allow-empty', '-m', 'one']);
    work(g, g(['rev-parse', 'HEAD']).trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('2000 tag names sort as git tag -l --sort=version:refname sorts them', () => {
  inRepository((g, head) => {
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
    const names = new Set<string>();
    while (names.size < 2000) {
      let s = 'v';
      for (let n = 1 + rand(7); n > 0; n--) s += '00123459a.-'[rand(11)];
      if (!s.includes('..') && !s.endsWith('.')) names.add(s);
    }
    g(['update-ref', '--stdin'], [...names].map((n) => `create refs/tags/${n} ${head}\n`).join(''));
    const theirs = g(['tag', '-l', '--sort=version:refname']).split('\n').filter(Boolean);
    assert.equal([...names].sort(versionCompare), theirs);
  });
});

test('versionsort.suffix: names with and without the configured suffixes, several lists and orders, as git sorts them', () => {
  inRepository((g, head) => {
    // Release-like names (the comparison git makes with suffixes is not a total
    // order on arbitrary strings, so sorts of odd names depend on the algorithm).
    const suffixPool = ['', '-rc', '-beta', '-pre', '-alpha', '.rc', '-bfoo', '-b', 'rc'];
    const names = new Set<string>();
    for (const major of [0, 1, 2]) {
      for (const minor of [0, 1, 2, 9, 10, 11]) {
        for (const patch of ['', '.0', '.1', '.10']) {
          for (const suffix of suffixPool) {
            for (const n of suffix ? ['', '1', '2', '10'] : ['']) names.add(`v${major}.${minor}${patch}${suffix}${n}`);
          }
        }
      }
    }
    g(['update-ref', '--stdin'], [...names].map((n) => `create refs/tags/${n} ${head}\n`).join(''));
    for (const suffixes of [['-rc'], ['-rc', '-beta', '-pre'], ['-pre', '-beta', '-rc', '-alpha'], ['-alpha', '-beta', '-pre', '-rc', '.rc'], ['-b', '-bfoo', '-beta']]) {
      const config = suffixes.flatMap((x) => ['-c', `versionsort.suffix=${x}`]);
      const theirs = g([...config, 'tag', '-l', '--sort=version:refname']).split('\n').filter(Boolean);
      assert.equal([...names].sort((a, b) => versionCompare(a, b, suffixes)), theirs, suffixes.join(' '));
    }
  });
});

test.run();

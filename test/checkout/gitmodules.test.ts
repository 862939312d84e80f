// `.gitmodules` content checks (host/checkout/gitmodules.ts): for each file,
// refused exactly when `git fsck` reports a gitmodules error for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gitmodulesProblem, parseConfig } from '../../host/checkout/gitmodules.ts';
import { gitEnv, tempDir } from '../helpers/git.ts';
import { g, writeBlob, writeRawTree } from './make-repo.ts';

const tmp = tempDir('gitmodules');

const files: string[] = [
  '[submodule "a"]\n\tpath = a\n\turl = https://example.com/a.git\n',
  '[submodule "a"]\n\turl = -oProxyCommand=touch pwned\n',
  '[submodule "a"]\n\turl = " -x"\n',
  '[submodule "a"]\n\turl = "-x"\n',
  '[submodule "a"]\n\tpath = -x\n',
  '[submodule "a"]\n\tpath = x-\n',
  '[submodule "../../hooks"]\n\tpath = a\n',
  '[submodule "a/../b"]\n\tpath = a\n',
  '[submodule "a..b"]\n\tpath = a\n',
  '[submodule ".."]\n\tpath = a\n',
  '[submodule "x\\\\..\\\\y"]\n\tpath = a\n',
  '[submodule "a"]\n\tupdate = !rm -rf /\n',
  '[submodule "a"]\n\tupdate = rebase\n',
  '[submodule "a"]\n\turl = ../:evil\n',
  '[submodule "a"]\n\turl = ./../../sub\n',
  '[submodule "a"]\n\turl = ../sub\n',
  '[submodule "a"]\n\turl = ../sub%0ahost=evil\n',
  '[submodule "a"]\n\turl = https://example.com%0a/x\n',
  '[submodule "a"]\n\turl = https://user%0aname@example.com/repo\n',
  '[submodule "a"]\n\turl = https:///path\n',
  '[submodule "a"]\n\turl = http::https://example.com/x\n',
  '[submodule "a"]\n\turl = git@example.com:x/y\n',
  '[submodule "a"]\n\turl = "-o"\\\n"x"\n',
  '[submodule "a"]\n\turl = ok # -o comment\n',
  '[submodule.A]\n\turl = -x\n',
  '[SubModule "a"]\n\tURL = -x\n',
  '[submodule "a"]\r\n\turl = -x\r\n',
  '[submodule "a"\n\turl = -x\n',
  '[submodule "a"]\n\turl = -x\n[broken',
  '[submodule "a"]\n\turl = "unterminated\n\turl = -x\n',
  '[core]\n\turl = -x\n',
  '[submodule]\n\turl = -x\n',
  '[submodule "a"]\n\turl\n',
  '# only a comment\n',
  '',
];

test('each .gitmodules is refused exactly when git fsck reports a gitmodules error', () => {
  const repo = join(tmp.dir, 'repo');
  g(tmp.dir, ['init', '-q', repo]);
  const blobs = files.map((f) => writeBlob(repo, Buffer.from(f, 'latin1')));
  // One tree per file: fsck checks each blob it finds named .gitmodules.
  for (const b of blobs) writeRawTree(repo, [{ mode: '100644', name: '.gitmodules', id: b }]);
  const run = spawnSync('git', ['fsck', '--no-dangling'], { cwd: repo, env: gitEnv, encoding: 'utf8' });
  const out = run.stdout + run.stderr;
  let refused = 0;
  files.forEach((f, i) => {
    const fsck = out.split('\n').filter((l) => l.includes(blobs[i]) && /gitmodules(Name|Url|Path|Update)/.test(l));
    const ours = gitmodulesProblem(Buffer.from(f, 'latin1'));
    assert.is(ours !== null, fsck.length > 0, `${JSON.stringify(f)}: git fsck says ${JSON.stringify(fsck)}, we say ${ours}`);
    if (ours) {
      refused++;
      // Same fsck message id.
      const id = /gitmodules\w+/.exec(fsck[0])![0];
      assert.ok(ours.endsWith(`(${id})`), `${ours} vs ${fsck[0]}`);
    }
  });
  assert.ok(refused >= 15, `${refused} refused`);
});

test('a UTF-8 byte order mark is skipped, so what follows is checked', () => {
  // git skips it when it reads the checked-out file, so `git submodule` would
  // see this URL. (git fsck reads blobs through signed chars and stops at the
  // BOM as a syntax error instead: we are stricter than fsck here, on purpose.)
  assert.match(gitmodulesProblem(Buffer.from('\xef\xbb\xbf[submodule "a"]\n\turl = -x\n', 'latin1')) ?? '', /gitmodulesUrl/);
});

test('the config reader follows git: sections, subsections, quoting, escapes, continuations, comments', () => {
  const got: [string, string | null][] = [];
  const ok = parseConfig('[Core]\n\tBare\n[remote "Or\\"ig"]\n\turl = "a b" c\\\n d ; comment\n[x.Y]\nk = \\t"#"\n', (n, v) => got.push([n, v]));
  assert.ok(ok);
  assert.equal(got, [['core.bare', null], ['remote.Or"ig.url', 'a b c d'], ['x.y.k', '\t#']]);
});

test.after(() => tmp.cleanup());
test.run();

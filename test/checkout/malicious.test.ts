// Malicious trees: every checkout that could escape the work tree or poison
// the repository is refused with a message naming the path and the rule, and
// nothing at all is written -- inside the work tree or outside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkout } from '../../host/checkout/checkout.ts';
import { UnsafePathError } from '../../host/core/tree.ts';
import { git, tempDir } from '../helpers/git.ts';
import { g, packObjects, writeBlob, writeRawTree } from './make-repo.ts';

const tmp = tempDir('malicious');
const repo = join(tmp.dir, 'objects');
g(tmp.dir, ['init', '-q', repo]);
const outside = join(tmp.dir, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'canary'), 'untouched\n');

const blob = writeBlob(repo, 'payload\n');
const hook = writeBlob(repo, '#!/bin/sh\necho pwned\n');
type E = { mode: string; name: string | Buffer; id: string };
const tree = (entries: E[]) => writeRawTree(repo, entries);
/** A tree holding `entries` inside `a/b/`, next to an innocent file, so refusals must name the full path. */
const nested = (entries: E[]) => tree([{ mode: '40000', name: 'a', id: tree([{ mode: '40000', name: 'b', id: tree(entries) }]) }, { mode: '100644', name: 'z-innocent', id: blob }]);
const gitDirTree = () => tree([{ mode: '40000', name: 'hooks', id: tree([{ mode: '100755', name: 'post-checkout', id: hook }]) }, { mode: '100644', name: 'config', id: blob }]);
const modules = (text: string) => writeBlob(repo, text);

const cases: { what: string; root: string; message: RegExp }[] = [
  { what: '.git at the root', root: tree([{ mode: '40000', name: '.git', id: gitDirTree() }]), message: /^refusing to check out '\.git': path component '\.git' is reserved$/ },
  { what: '.git deeper down', root: nested([{ mode: '40000', name: '.git', id: gitDirTree() }]), message: /'a\/b\/\.git': path component '\.git' is reserved/ },
  { what: '.GIT (any case)', root: nested([{ mode: '40000', name: '.GIT', id: gitDirTree() }]), message: /'a\/b\/\.GIT': path component '\.git' is reserved/ },
  { what: '.git as a file', root: nested([{ mode: '100644', name: '.Git', id: blob }]), message: /'a\/b\/\.Git': path component '\.git' is reserved/ },
  { what: '.git. (trailing dot)', root: nested([{ mode: '40000', name: '.git.', id: gitDirTree() }]), message: /'a\/b\/\.git\.': path component is '\.git' on NTFS/ },
  { what: '.git  (trailing spaces)', root: nested([{ mode: '40000', name: '.git  ', id: gitDirTree() }]), message: /'a\/b\/\.git  ': path component is '\.git' on NTFS/ },
  { what: 'git~1', root: nested([{ mode: '40000', name: 'GIT~1', id: gitDirTree() }]), message: /'a\/b\/GIT~1': path component 'git~1' is the NTFS short name of '\.git'/ },
  { what: 'HFS+ zero-width joiner', root: nested([{ mode: '40000', name: '.gi\u200dt', id: gitDirTree() }]), message: /'a\/b\/\.gi\u200dt': path component is '\.git' on HFS\+/ },
  { what: 'HFS+ byte order mark', root: nested([{ mode: '40000', name: '\ufeff.GIT', id: gitDirTree() }]), message: /path component is '\.git' on HFS\+/ },
  { what: 'backslash then .git', root: nested([{ mode: '100644', name: 'x\\.git', id: blob }]), message: /'a\/b\/x\\\.git': path component has '\.git' after a '\\'/ },
  { what: '..', root: nested([{ mode: '40000', name: '..', id: tree([{ mode: '100644', name: 'escaped', id: blob }]) }]), message: /'a\/b\/\.\.': path component '\.\.' is not allowed/ },
  { what: '.', root: nested([{ mode: '40000', name: '.', id: tree([{ mode: '100644', name: 'x', id: blob }]) }]), message: /'a\/b\/\.': path component '\.' is not allowed/ },
  { what: 'a name with /', root: nested([{ mode: '100644', name: '../../../outside/canary', id: blob }]), message: /'a\/b\/\.\.\/\.\.\/\.\.\/outside\/canary': path component contains '\/'/ },
  { what: 'an empty name', root: nested([{ mode: '100644', name: '', id: blob }]), message: /'a\/b\/': empty path component/ },
  {
    what: 'a symlink, then a path through it',
    root: tree([{ mode: '120000', name: 'a', id: writeBlob(repo, outside) }, { mode: '100644', name: 'a-', id: blob }, { mode: '40000', name: 'a', id: tree([{ mode: '100644', name: 'canary', id: blob }]) }]),
    message: /'a': duplicate entry/,
  },
  { what: '.gitmodules as a symlink', root: tree([{ mode: '120000', name: '.gitmodules', id: writeBlob(repo, '/etc/passwd') }]), message: /^refusing to check out '\.gitmodules': '\.gitmodules' may not be a symbolic link$/ },
  { what: '.gitmodules as a symlink (NTFS short name)', root: nested([{ mode: '120000', name: 'GITMOD~1', id: blob }]), message: /'a\/b\/GITMOD~1': '\.gitmodules' may not be a symbolic link/ },
  { what: '.gitmodules as a directory', root: tree([{ mode: '40000', name: '.gitmodules', id: tree([{ mode: '100644', name: 'x', id: blob }]) }]), message: /'\.gitmodules': '\.gitmodules' is not a regular file/ },
  {
    what: '.gitmodules URL that is an option',
    root: tree([{ mode: '100644', name: '.gitmodules', id: modules('[submodule "s"]\n\tpath = s\n\turl = -oProxyCommand=touch /tmp/pwned\n') }]),
    message: /^refusing to check out '\.gitmodules': disallowed submodule url: -oProxyCommand=touch \/tmp\/pwned \(gitmodulesUrl\)$/,
  },
  { what: '.gitmodules path that is an option', root: nested([{ mode: '100644', name: '.gitmodules', id: modules('[submodule "s"]\n\tpath = --upload-pack=x\n\turl = ./s\n') }]), message: /'a\/b\/\.gitmodules': disallowed submodule path: --upload-pack=x \(gitmodulesPath\)/ },
  { what: '.gitmodules name climbing out', root: tree([{ mode: '100644', name: '.gitmodules', id: modules('[submodule "../../modules/evil"]\n\tpath = s\n\turl = ./s\n') }]), message: /disallowed submodule name: \.\.\/\.\.\/modules\/evil \(gitmodulesName\)/ },
  { what: '.gitmodules update command', root: tree([{ mode: '100644', name: '.gitmodules', id: modules('[submodule "s"]\n\tpath = s\n\tupdate = !sh -c pwned\n') }]), message: /disallowed submodule update setting: !sh -c pwned \(gitmodulesUpdate\)/ },
  { what: '.GITMODULES spelled otherwise', root: tree([{ mode: '100644', name: '.GITMODULES', id: modules('[submodule "s"]\n\turl = -x\n') }]), message: /'\.GITMODULES': disallowed submodule url/ },
];

// One pack with every object made above (unused ones do no harm).
const packs = packObjects(repo, git(repo, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).trim().split('\n'), join(tmp.dir, 'pack'));
let n = 0;
for (const c of cases) {
  test(`refused: ${c.what}`, async () => {
    const dst = join(tmp.dir, `dst${n++}`);
    g(tmp.dir, ['init', '-q', dst]);
    let err: unknown;
    try {
      await checkout({ gitDir: join(dst, '.git'), workTree: dst, treeOid: c.root, packs });
    } catch (e) {
      err = e;
    }
    assert.instance(err, UnsafePathError, `${c.what}: ${err}`);
    assert.match((err as Error).message, c.message);
    assert.equal(readdirSync(dst), ['.git'], 'nothing written in the work tree');
    assert.not.ok(existsSync(join(dst, '.git', 'index')), 'no index');
    assert.not.ok(existsSync(join(dst, '.git', 'hooks', 'post-checkout')), 'no hook planted');
    assert.equal(readdirSync(outside), ['canary'], 'nothing written outside');
  });
}

test('git itself refuses these trees too (fsck), so the refusals are not ours alone', () => {
  const out = (() => {
    try {
      return git(repo, ['fsck', '--no-dangling']);
    } catch (e) {
      return String((e as { stdout?: string }).stdout) + String((e as { stderr?: string }).stderr);
    }
  })();
  for (const id of ['hasDotgit', 'hasDotdot', 'hasDot', 'fullPathname', 'duplicateEntries', 'gitmodulesSymlink', 'gitmodulesUrl', 'gitmodulesPath', 'gitmodulesName', 'gitmodulesUpdate']) {
    assert.ok(out.includes(id), `git fsck reports ${id}`);
  }
});

test.after(() => tmp.cleanup());
test.run();

// Tree parsing and the path-safety rules (assembly/tree.ts, assembly/path-safety.ts).
// Real trees must parse as `git ls-tree` lists them; malformed trees must fail
// with E_TREE and the entry's offset; and for every name, whether a checkout
// refuses it must agree with git itself: `git update-index` with
// core.protectNTFS and core.protectHFS (git's verify_path()) for single names,
// and `git fsck` for what only fsck sees (duplicates, '/', empty names).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadCore } from '../../host/core/index.ts';
import { CoreError } from '../../host/core/instance.ts';
import { parseTree, UnsafePathError } from '../../host/core/tree.ts';
import { spawnSync } from 'node:child_process';
import { git, gitBytes, gitEnv, tempDir } from '../helpers/git.ts';
import { g, makeSampleRepo, writeBlob, writeRawTree } from './make-repo.ts';

const E_TREE = -40;
const tmp = tempDir('tree');
const src = makeSampleRepo(tmp.dir);
const core = await loadCore();
const blob = writeBlob(src, 'x\n');

function raw(entries: { mode: string; name: string | Buffer; id: string }[]): Buffer {
  return Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.id, 'hex')]));
}

function verdict(content: Buffer): { ok: true } | { ok: false; err: Error } {
  try {
    parseTree(core, content);
    return { ok: true };
  } catch (err) {
    return { ok: false, err: err as Error };
  }
}

test('every tree of a real repository parses as git ls-tree lists it', () => {
  const trees = git(src, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'])
    .trim().split('\n').map((l) => l.split(' ')).filter(([, t]) => t === 'tree').map(([id]) => id);
  assert.ok(trees.length > 50);
  for (const id of trees) {
    const entries = parseTree(core, gitBytes(src, ['cat-file', 'tree', id]));
    const listed = gitBytes(src, ['ls-tree', '-z', id]).toString('utf8').split('\0').filter(Boolean);
    assert.is(entries.length, listed.length, id);
    entries.forEach((e, i) => {
      const [meta, name] = listed[i].split('\t');
      const [mode, , oid] = meta.split(' ');
      assert.is(e.mode.toString(8).padStart(6, '0'), mode);
      assert.is(e.name.toString('utf8'), name);
      assert.is(e.id.toString('hex'), oid);
    });
  }
});

test('the .gitmodules entry is flagged for content checks', () => {
  const root = git(src, ['rev-parse', 'HEAD^{tree}']).trim();
  const entries = parseTree(core, gitBytes(src, ['cat-file', 'tree', root]));
  const flagged = entries.filter((e) => e.gitmodules).map((e) => e.name.toString());
  assert.equal(flagged, ['.gitmodules']);
});

test('malformed trees fail with E_TREE and the offset of the bad entry', () => {
  const good = raw([{ mode: '100644', name: 'a', id: blob }]);
  const cases: [string, Buffer, number, RegExp][] = [
    ['truncated id', good.subarray(0, good.length - 1), 0, /truncated in its object id/],
    ['no NUL after the name', Buffer.from('100644 abc'), 0, /not NUL-terminated/],
    ['non-octal mode', raw([{ mode: '100648', name: 'a', id: blob }]), 0, /non-octal/],
    ['empty mode', raw([{ mode: '', name: 'a', id: blob }]), 0, /empty mode/],
    ['unknown file type', raw([{ mode: '170000', name: 'a', id: blob }]), 0, /unknown file mode/],
    ['unsorted', raw([{ mode: '100644', name: 'b', id: blob }, { mode: '100644', name: 'a', id: blob }]), good.length, /not sorted/],
    // "40000 a\0" + id = 28 bytes: the second entry starts there.
    ['tree sorts as name/', raw([{ mode: '40000', name: 'a', id: blob }, { mode: '100644', name: 'a.b', id: blob }]), 28, /not sorted/],
  ];
  for (const [what, content, offset, re] of cases) {
    const v = verdict(content);
    assert.not.ok(v.ok, what);
    if (v.ok) continue;
    assert.instance(v.err, CoreError, what);
    assert.is((v.err as CoreError).code, E_TREE, what);
    assert.match(v.err.message, re, what);
    assert.is((v.err as CoreError).offset, offset, what);
  }
});

test('odd but accepted modes (100664, zero-padded) parse to canonical modes, flagged', () => {
  const entries = parseTree(core, raw([{ mode: '100664', name: 'a', id: blob }, { mode: '040000', name: 'd', id: blob }]));
  assert.equal(entries.map((e) => [e.mode, e.oddMode]), [[0o100644, true], [0o040000, true]]);
});

// Names around every rule, refused or not. git update-index --cacheinfo decides.
const names: string[] = [
  '.git', '.GIT', '.Git', '.git.', '.git..', '.git ', '.git . .', '.git:', '.git:stream', '.git::$INDEX_ALLOCATION',
  'git~1', 'GIT~1', 'Git~1.', 'git~1 ', 'git~1:x', 'git~10', 'git~2', 'git~1x',
  '.gitx', '.git.x', '.git~1', 'x.git', '.gi', '.g', 'git',
  '.g\u200cit', '\u200c.git', '.git\u200d', '.gi\ufefft', '.\u202agit', '.g\u206fit', '.G\u200eIT', '.g\u2010it',
  '.\u00e7it', '.gıt',
  'a\\.git', 'a\\git~1', 'a\\.git.', 'a\\.gitx', 'a\\b',
  '.', '..', '...', '.x', '..x',
  '.gitmodules', '.GITMODULES', '.gitmodules.', '.gitmodules ', '.gitmodules:x', '.gitmodulesx', 'gitmod~1', 'GITMOD~4', 'gitmod~5', 'gi7eba~1', 'gi7eba~9', 'gi7eb~12', '.g\u200citmodules',
  '.gitattributes', '.gitignore', 'README', 'ü', ' leading space', 'trailing.',
];
const modes = ['100644', '100755', '120000', '160000'];

test('each name is refused exactly when git (verify_path, protectNTFS and protectHFS on) refuses it', () => {
  const repo = join(tmp.dir, 'oracle');
  g(tmp.dir, ['init', '-q', repo]);
  let refusedCount = 0;
  const id = writeBlob(repo, 'x\n');
  for (const name of names) {
    for (const mode of modes) {
      let gitRefuses = false;
      try {
        git(repo, ['-c', 'core.protectHFS=true', '-c', 'core.protectNTFS=true', 'update-index', '--add', '--cacheinfo', `${mode},${id},${name}`]);
        git(repo, ['update-index', '--force-remove', name]);
      } catch {
        gitRefuses = true;
      }
      const v = verdict(raw([{ mode, name, id }]));
      assert.is(!v.ok, gitRefuses, `${JSON.stringify(name)} mode ${mode}: git ${gitRefuses ? 'refuses' : 'accepts'} it`);
      if (!v.ok) {
        assert.instance(v.err, UnsafePathError);
        assert.ok(v.err.message.startsWith(`refusing to check out '${name}': `), v.err.message);
      }
      if (gitRefuses) refusedCount++;
    }
  }
  assert.ok(refusedCount > 100, `${refusedCount} refusals`);
});

test('a refusal names the path and the rule', () => {
  const cases: [string, string, RegExp][] = [
    ['.git', '100644', /^refusing to check out 'a\/b\/\.git': path component '\.git' is reserved$/],
    ['.GIT', '040000', /'a\/b\/\.GIT': path component '\.git' is reserved/],
    ['.git. ', '100644', /'a\/b\/\.git\. ': path component is '\.git' on NTFS/],
    ['GIT~1', '100644', /'a\/b\/GIT~1': path component 'git~1' is the NTFS short name of '\.git'/],
    ['.g\u200cit', '100644', /'a\/b\/\.g\u200cit': path component is '\.git' on HFS\+/],
    ['..', '040000', /'a\/b\/\.\.': path component '\.\.' is not allowed/],
    ['.', '100644', /'a\/b\/\.': path component '\.' is not allowed/],
    ['x\\.git', '100644', /'a\/b\/x\\\.git': path component has '\.git' after a '\\'/],
    ['.gitmodules', '120000', /'a\/b\/\.gitmodules': '\.gitmodules' may not be a symbolic link/],
  ];
  for (const [name, mode, re] of cases) {
    const content = raw([{ mode, name, id: blob }]);
    assert.throws(() => parseTree(core, content, Buffer.from('a/b/')), (e: unknown) => e instanceof UnsafePathError && re.test((e as Error).message), `${name}`);
  }
});

test('what only fsck sees: "/" in a name, an empty name, duplicates (also non-adjacent) -- refused where git fsck reports them', () => {
  const b = 'b'.repeat(40); // placeholders: each case gets its own repository
  const t = 't'.repeat(40);
  const cases: { what: string; entries: { mode: string; name: string; id: string }[]; fsck: RegExp; ours: RegExp }[] = [
    { what: 'slash', entries: [{ mode: '100644', name: 'a/b', id: b }], fsck: /fullPathname/, ours: /'a\/b': path component contains '\/'/ },
    { what: 'empty', entries: [{ mode: '100644', name: '', id: b }], fsck: /emptyName|badTree/, ours: /'': empty path component/ },
    { what: 'blob then tree', entries: [{ mode: '100644', name: 'a', id: b }, { mode: '40000', name: 'a', id: t }], fsck: /duplicateEntries/, ours: /'a': duplicate entry/ },
    { what: 'symlink, a-b, then tree', entries: [{ mode: '120000', name: 'a', id: b }, { mode: '100644', name: 'a-b', id: b }, { mode: '40000', name: 'a', id: t }], fsck: /duplicateEntries/, ours: /'a': duplicate entry/ },
    { what: 'two blobs', entries: [{ mode: '100644', name: 'a', id: b }, { mode: '100755', name: 'a', id: b }], fsck: /duplicateEntries/, ours: /'a': duplicate entry/ },
  ];
  cases.forEach((c, i) => {
    const repo = join(tmp.dir, `fsck${i}`);
    g(tmp.dir, ['init', '-q', repo]);
    const realB = writeBlob(repo, 'x\n');
    const realT = writeRawTree(repo, [{ mode: '100644', name: 'f', id: realB }]);
    const id = writeRawTree(repo, c.entries.map((e) => ({ ...e, id: e.id === b ? realB : realT })));
    const run = spawnSync('git', ['fsck', '--no-dangling', '--strict'], { cwd: repo, env: gitEnv, encoding: 'utf8' });
    const line = (run.stdout + run.stderr).split('\n').filter((l) => l.includes(id)).join(' | ');
    assert.match(line, c.fsck, `${c.what}: git fsck says ${JSON.stringify(line)}`);
    const v = verdict(gitBytes(repo, ['cat-file', 'tree', id]));
    assert.not.ok(v.ok, c.what);
    if (!v.ok) assert.match(v.err.message, c.ours, c.what);
  });
});

test.after(() => tmp.cleanup());
test.run();

// Checkout conversions end to end: wasmgit's clone against `git clone` of the
// same repository with the same -c options. The repository's blobs are written
// as they are (no filters on the way in), so it holds text with LF, CRLF,
// mixed and lone CR endings, binary content, $Id$ keywords in several forms,
// nested .gitattributes files and a symbolic link and a gitlink under
// patterns that would convert them. Work trees must be identical, `git status`
// clean and `git fsck` quiet (assertSameClone).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { clone } from '../../host/clone.ts';
import { assertSameClone, git, gitAsync, gitEnv, treeListing } from './fixture.ts';
import { tempDir } from '../helpers/git.ts';
import { wasmgitAsync } from '../helpers/cli.ts';

const tmp = tempDir('clone-attributes');
const src = join(tmp.dir, 'src');
const globalFile = join(tmp.dir, 'global-attributes');
writeFileSync(globalFile, '[attr]globalcrlf text eol=crlf\n*.glob globalcrlf\n');

const BIN = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x0a, 0x0a, 0x41, 0x0a]);
const top = [
  '[attr]crlftext text eol=crlf',
  '*.txt text eol=crlf',
  '*.bat eol=crlf',
  '*.auto text=auto',
  '*.autocrlf text=auto eol=crlf',
  '*.autolf text=auto eol=lf',
  '*.input text=input',
  '*.legacy crlf',
  '*.legacyinput crlf=input',
  '*.nocrlf -crlf',
  '*.bin binary',
  '*.notext -text',
  '*.macro crlftext',
  'ident.c ident',
  '*.id ident',
  'docs/*.md eol=crlf',
  '**/deep/*.cfg eol=crlf',
  '/rooted.txt -text',
  '"quoted name.q" eol=crlf',
  '!negated.txt -text',
  '*.enc working-tree-encoding=UTF-16LE-BOM',
  '*.enc16 working-tree-encoding=utf-16',
  '*.encbe text working-tree-encoding=UTF-16BE',
  '*.up filter=upper',
  '*.unset text !text',
  '*.eolonly eol=lf',
  '',
].join('\n');

const files: Record<string, string | Buffer> = {
  '.gitattributes': top,
  'a.txt': 'one\ntwo\n',
  'crlf.txt': 'one\r\ntwo\n',
  'lonecr.txt': 'a\rb\nc\n',
  'empty.txt': '',
  'bin.txt': BIN,
  'x.bat': 'echo on\n',
  'bin.bat': BIN,
  'text.auto': 'x\ny\n',
  'bin.auto': BIN,
  'crlf.auto': 'a\r\nb\n',
  'lonecr.auto': 'a\rb\n',
  'nul.auto': 'a\0b\nc\n',
  'text.autocrlf': 'x\ny\n',
  'bin.autocrlf': BIN,
  'crlf.autocrlf': 'a\r\nb\n',
  'text.autolf': 'x\ny\n',
  'text.input': 'x\ny\n',
  'text.legacy': 'x\ny\n',
  'text.legacyinput': 'x\ny\n',
  'text.nocrlf': 'x\ny\n',
  'x.bin': 'looks\nlike\ntext\n',
  'x.notext': 'x\ny\n',
  'x.macro': 'x\ny\n',
  'ident.c': '/* $Id$ */\nint x; /* $Id: stale 0000 $ */\n/* $Id: file.c,v 1.2 joe Exp $ */\n$Id:abc$\n$Id: cut\n$\n',
  'kw.id': 'a $Id$ b\n',
  'no-ident.c': '/* $Id$ stays: no attribute */\n',
  'docs/guide.md': 'guide\ntext\n',
  'docs/sub/nested.md': 'not matched\nby docs/*.md\n',
  'deep/top.cfg': 'k=v\n',
  'a/deep/x.cfg': 'k=v\n',
  'a/b/deep/y.cfg': 'k=v\n',
  'a/deep/more/z.cfg': 'not\nmatched\n',
  'rooted.txt': 'stays\nlf\n',
  'sub2/rooted.txt': 'crlf\nhere\n',
  'quoted name.q': 'q\nq\n',
  'negated.txt': 'still\ntext\n',
  'x.enc': 'h\u00e9llo \u2603\nw\u00f6rld\n',
  'y.enc16': 'utf-16 \u00fc\n',
  'z.encbe': 'big\nendian \u00e4\n',
  'bad.enc': Buffer.from('not utf-8: \xff\xfe\n', 'latin1'),
  'f.up': 'hello world\n',
  'g.unset': 'x\ny\n',
  'h.eolonly': 'x\ny\n',
  'p.glob': 'global\nfile\n',
  'plain': 'no\nattributes\n',
  'sub/.gitattributes': '*.txt -text\n*.md eol=crlf\n*.bat text=auto\n[attr]notallowed text\n',
  'sub/n.txt': 'nested\n-text\n',
  'sub/n.md': 'nested\nmd\n',
  'sub/inner.bat': 'bat\nunder\nsub\n',
  'sub/deeper/.gitattributes': '*.txt text\n',
  'sub/deeper/d.txt': 'deeper\ntext\n',
};

/** Writes the blobs as they are, a symbolic link and a gitlink among them, and commits. */
function makeSource(): void {
  mkdirSync(src);
  git(src, ['init', '-q', '-b', 'main']);
  const lines: string[] = [];
  for (const [path, data] of Object.entries(files)) {
    const id = spawnSync('git', ['hash-object', '-w', '--no-filters', '--stdin'], { cwd: src, input: data, env: gitEnv, encoding: 'utf8' }).stdout.trim();
    lines.push(`100644 ${id}\t${path}`);
  }
  const link = spawnSync('git', ['hash-object', '-w', '--no-filters', '--stdin'], { cwd: src, input: 'a.txt', env: gitEnv, encoding: 'utf8' }).stdout.trim();
  lines.push(`120000 ${link}\tlink.txt`);
  lines.push(`160000 ${'1'.repeat(40)}\tmodule.txt`);
  git(src, ['update-index', '--add', '--index-info'], lines.join('\n') + '\n');
  const tree = git(src, ['write-tree']).trim();
  const commit = git(src, ['commit-tree', tree, '-m', 'attributes'], '').trim();
  git(src, ['update-ref', 'refs/heads/main', commit]);
}
makeSource();
const url = `file://${src}`;

let seq = 0;
/** Clones with git and with wasmgit, both with `config` as -c; returns both directories and git's stderr. */
async function both(config: string[]): Promise<{ ours: string; theirs: string; messages: string[] }> {
  const n = ++seq;
  const theirs = join(tmp.dir, `git-${n}`);
  const ours = join(tmp.dir, `ours-${n}`);
  await gitAsync(tmp.dir, ['clone', '-q', ...config.flatMap((c) => ['-c', c]), url, theirs]);
  const messages: string[] = [];
  await clone({
    repository: url,
    directory: ours,
    config,
    env: gitEnv,
    cwd: tmp.dir,
    onProgress: (e) => {
      if (e.phase === 'note') messages.push(e.message);
    },
  });
  // git trusts an entry's stat data only when the file is older than the index
  // file; in the same timestamp granule (as a fast checkout writes them) it
  // compares content, and content that does not survive the way back (mixed
  // line endings under eol=crlf, a stale $Id: ...$) then shows as modified, in
  // git's own clone too. So: first the stat data, with both index files dated
  // later; then the racy case, which must give what git gives.
  const later = new Date(Date.now() + 5000);
  for (const d of [ours, theirs]) utimesSync(join(d, '.git/index'), later, later);
  assertSameClone(ours, theirs);
  const racy = (d: string) => {
    utimesSync(join(d, '.git/index'), new Date(0), new Date(0));
    return git(d, ['status', '--porcelain']);
  };
  assert.is(racy(ours), racy(theirs), 'git status with every entry racily clean');
  return { ours, theirs, messages };
}

/** How many files of the work tree differ from their blobs (so a test proves conversions happened). */
function converted(dir: string): number {
  let n = 0;
  for (const line of git(dir, ['ls-files', '-s', '-z']).split('\0').filter(Boolean)) {
    const [info, path] = line.split('\t');
    const [mode, id] = info.split(' ');
    if (mode !== '100644') continue;
    if (!readFileSync(join(dir, path)).equals(spawnSync('git', ['cat-file', 'blob', id], { cwd: dir }).stdout)) n++;
  }
  return n;
}

test('no config: text, eol, auto, macros, nested files, patterns, ident and encodings as git does', async () => {
  const { ours, messages } = await both([]);
  assert.is(readFileSync(join(ours, 'a.txt'), 'utf8'), 'one\r\ntwo\r\n');
  assert.match(readFileSync(join(ours, 'ident.c'), 'utf8'), /^\/\* \$Id: [0-9a-f]{40} \$ \*\/\n/);
  assert.ok(converted(ours) >= 20, `${converted(ours)} files converted`);
  // git reports the macro line a nested file may not hold, and the bad encoding.
  assert.ok(messages.some((m) => m.includes('[attr]notallowed text not allowed: sub/.gitattributes:4')), messages.join(''));
  assert.ok(messages.some((m) => m.includes("failed to encode 'bad.enc' from UTF-8 to UTF-16LE-BOM")), messages.join(''));
});

test('core.autocrlf=true', async () => {
  const { ours } = await both(['core.autocrlf=true']);
  assert.is(readFileSync(join(ours, 'plain'), 'utf8'), 'no\r\nattributes\r\n');
});

test('core.autocrlf=input', async () => {
  await both(['core.autocrlf=input']);
});

test('core.eol=crlf', async () => {
  const { ours } = await both(['core.eol=crlf']);
  assert.is(readFileSync(join(ours, 'text.auto'), 'utf8'), 'x\r\ny\r\n');
});

test('a smudge filter from -c (with its clean twin, so git status can compare) and core.attributesFile', async () => {
  const { ours } = await both(['filter.upper.smudge=tr a-z A-Z', 'filter.upper.clean=tr A-Z a-z', `core.attributesFile=${globalFile}`]);
  assert.is(readFileSync(join(ours, 'f.up'), 'utf8'), 'HELLO WORLD\n');
  assert.is(readFileSync(join(ours, 'p.glob'), 'utf8'), 'global\r\nfile\r\n');
});

test('a failing filter that is not required: the content is written unfiltered, as git does', async () => {
  const { ours, messages } = await both(['filter.upper.smudge=false']);
  assert.is(readFileSync(join(ours, 'f.up'), 'utf8'), 'hello world\n');
  assert.ok(messages.some((m) => m.includes("external filter 'false' failed")), messages.join(''));
});

test('a required filter that fails fails the clone with git message', async () => {
  const theirs = join(tmp.dir, 'git-required');
  const ours = join(tmp.dir, 'ours-required');
  const config = ['filter.upper.smudge=exit 3', 'filter.upper.required=true'];
  const r = spawnSync('git', ['clone', '-q', ...config.flatMap((c) => ['-c', c]), url, theirs], { env: gitEnv, encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, 'fatal: f.up: smudge filter upper failed');
  let err: Error | null = null;
  try {
    await clone({ repository: url, directory: ours, config, env: gitEnv, cwd: tmp.dir });
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'the clone fails');
  assert.is(err!.message, 'f.up: smudge filter upper failed');
  // git keeps the repository ("Clone succeeded, but checkout failed"); wasmgit
  // removes what it made, as on any failed clone.
  assert.not.ok(existsSync(ours));
});

test('a long-running filter process that does not speak the protocol (cat): git\'s errors, and a required one fails the clone', async () => {
  const theirs = join(tmp.dir, 'git-process');
  const ours = join(tmp.dir, 'ours-process');
  const config = ['filter.upper.process=cat', 'filter.upper.required=true'].flatMap((c) => ['-c', c]);
  const g = spawnSync('git', [...config, 'clone', '-q', url, theirs], { env: gitEnv, encoding: 'utf8' });
  const w = await wasmgitAsync([...config, 'clone', '-q', url, ours], { cwd: tmp.dir, env: gitEnv });
  assert.is(w.code, 128, w.stderr);
  assert.is(w.code, g.status);
  // The filter's lines (the repository's attribute warnings aside; git then keeps its clone, wasmgit removes it).
  const filterLines = (text: string) => text.split('\n').filter((l) => /subprocess|Unexpected line|died of signal|^fatal:/.test(l));
  assert.equal(filterLines(w.stderr), filterLines(g.stderr));
  assert.match(w.stderr, "error: Unexpected line 'git-filter-client', expected git-filter-server\n");
  assert.match(w.stderr, 'fatal: f.up: smudge filter upper failed\n');
  assert.not.ok(existsSync(ours));
});

test('an encoding wasmgit cannot write is refused with the path and the encoding', async () => {
  const repo = join(tmp.dir, 'sjis');
  mkdirSync(repo);
  git(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitattributes'), 'j.txt working-tree-encoding=SHIFT-JIS\n');
  writeFileSync(join(repo, 'j.txt'), 'plain\n');
  git(repo, ['add', '.']);
  git(repo, ['commit', '-qm', 'sjis']);
  let err: Error | null = null;
  try {
    await clone({ repository: `file://${repo}`, directory: join(tmp.dir, 'ours-sjis'), env: gitEnv, cwd: tmp.dir });
  } catch (e) {
    err = e as Error;
  }
  assert.match(String(err?.message), "'j.txt': working-tree-encoding 'SHIFT-JIS' is not supported");
});

test('the checked-out trees differ from a plain copy of the blobs (the comparison has teeth)', () => {
  const a = treeListing(join(tmp.dir, 'ours-1'));
  const b = treeListing(join(tmp.dir, 'ours-2'));
  assert.not.equal(a, b, 'core.autocrlf=true changes the work tree');
});

test.after(() => tmp.cleanup());
test.run();

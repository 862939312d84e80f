// Path attributes (host/checkout/attributes.ts) against `git check-attr --all`
// on the same files: precedence of the sources, nested .gitattributes, patterns
// with and without a slash, `**`, quoting, macros (built-in `binary` and
// `[attr]` lines), set/unset/value/`!` and the lines git refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Attributes } from '../../host/checkout/attributes.ts';
import { git, tempDir } from '../helpers/git.ts';

const tmp = tempDir('attributes');
const repo = join(tmp.dir, 'repo');
const globalFile = join(tmp.dir, 'global-attributes');
mkdirSync(repo);
git(repo, ['init', '-q']);

const files: Record<string, string> = {
  '.gitattributes': [
    '# comment',
    '[attr]crlftext text eol=crlf',
    '[attr]both crlftext -diff',
    '*.txt text eol=crlf',
    '*.bat eol=crlf',
    '*.bin binary',
    '*.notbin -binary',
    '*.m crlftext',
    '*.mm both',
    '*.val myattr=some-value other',
    '*.unset text !eol -diff',
    'docs/*.md eol=crlf',
    '**/deep/*.cfg eol=crlf',
    'a/**/b.x foo',
    'tail/** taily',
    '/rooted.txt -text',
    '"quoted name.q" eol=crlf',
    '"\\164ab\\tname.q" tabbed',
    '!negated.txt -text',
    '*.bad 1ok -bad@name',
    'dir/ dirattr',
    '*.order first -first',
    '*.order2 -second',
    '*.order2 second=later',
    `${'x'.repeat(2100)} long`,
    '  *.indented   \tspaced=yes  ',
    '*.cr crattr\r',
    '[a-c]*.cls cls',
    '*.sfx* star',
    '*.glob?e q',
  ].join('\n') + '\n',
  'sub/.gitattributes': ['*.txt -text', '*.md eol=crlf', '[attr]late text', 'inner/*.c ident', '*.m -eol'].join('\n') + '\n',
  'sub/inner/.gitattributes': '*.txt text=auto\n*.c !ident\n',
  'other/.gitattributes': '/top.x rootedhere\n*.txt working-tree-encoding=UTF-16\n',
};
const info = '*.info infoattr\n*.txt eol=lf\n';
const global = '[attr]globalmacro gm1 -gm2\n*.g globalmacro\n*.txt globaltxt\n*.bat -text\n';

for (const [p, text] of Object.entries(files)) {
  mkdirSync(dirname(join(repo, p)), { recursive: true });
  writeFileSync(join(repo, p), text);
}
mkdirSync(join(repo, '.git/info'), { recursive: true });
writeFileSync(join(repo, '.git/info/attributes'), info);
writeFileSync(globalFile, global);

const paths = [
  'a.txt', 'x.bat', 'y.bin', 'z.notbin', 'm.m', 'mm.mm', 'v.val', 'u.unset',
  'docs/guide.md', 'docs/sub/deeper.md', 'deep/x.cfg', 'a/deep/x.cfg', 'a/b/deep/x.cfg', 'a/deep/more/x.cfg',
  'a/b.x', 'a/q/b.x', 'a/q/r/b.x', 'b.x', 'tail/one', 'tail/two/three', 'rooted.txt', 'sub2/rooted.txt',
  'quoted name.q', 'tab\tname.q', 'negated.txt', 'k.bad', 'dir', 'dir/f', 'o.order', 'o.order2',
  'n.indented', 'c.cr', 'b.cls', 'd.cls', 'x.sfxyz', 'x.globle', 'x.globble',
  'sub/n.txt', 'sub/n.md', 'sub/inner/n.txt', 'sub/inner/n.c', 'sub/other/n.c', 'sub/m.m', 'sub/x.bat',
  'other/top.x', 'top.x', 'other/w.txt', 'w.info', 'g.g', 'sub/g.g', 'nothing',
];

/** `git check-attr --all` for each path, attributes sorted, "unspecified" never listed. */
function gitAttrs(extra: string[]): Map<string, string[]> {
  const out = git(repo, [...extra, 'check-attr', '--all', '-z', '--stdin'], { input: paths.join('\0') + '\0' });
  const parts = out.split('\0');
  const m = new Map<string, string[]>(paths.map((p) => [p, []]));
  for (let i = 0; i + 2 < parts.length; i += 3) m.get(parts[i])!.push(`${parts[i + 1]}=${parts[i + 2]}`);
  for (const v of m.values()) v.sort();
  return m;
}

function ourAttrs(attributesFile?: string): { got: Map<string, string[]>; warnings: string[] } {
  const inTree = new Map<string, Uint8Array>();
  for (const p of Object.keys(files)) inTree.set(p === '.gitattributes' ? '' : p.slice(0, -'/.gitattributes'.length), readFileSync(join(repo, p)));
  const warnings: string[] = [];
  const env = { HOME: join(tmp.dir, 'no-home'), GIT_ATTR_NOSYSTEM: '1' };
  const attrs = new Attributes({ inTree, gitDir: join(repo, '.git'), attributesFile, env, warn: (m) => warnings.push(m) });
  const got = new Map<string, string[]>();
  for (const p of paths) {
    const list: string[] = [];
    for (const [k, v] of attrs.all(Buffer.from(p).toString('latin1'))) list.push(`${k}=${v === true ? 'set' : v === false ? 'unset' : v}`);
    got.set(p, list.sort());
  }
  return { got, warnings };
}

test('every path gets the attributes git check-attr reports (tree files and info/attributes)', () => {
  const want = gitAttrs([]);
  const { got } = ourAttrs();
  for (const p of paths) assert.equal(got.get(p), want.get(p), p);
  // The oracle says something for most paths: the test exercises real rules.
  const specified = [...want.values()].filter((v) => v.length).length;
  assert.ok(specified >= 35, `${specified} paths with attributes`);
});

test('core.attributesFile sits below the tree files, and its macros count', () => {
  const want = gitAttrs(['-c', `core.attributesFile=${globalFile}`]);
  const { got } = ourAttrs(globalFile);
  for (const p of paths) assert.equal(got.get(p), want.get(p), p);
  assert.ok(want.get('g.g')!.includes('gm2=unset'), 'macro from the global file');
  assert.ok(want.get('x.bat')!.includes('eol=crlf'));
});

test('lines git refuses are reported as git reports them', () => {
  const { warnings } = ourAttrs();
  // Every file is read for a path in sub/inner/, so git reports every bad line once.
  const r = spawnSync('git', ['check-attr', 'text', '--', 'sub/inner/x'], { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: join(tmp.dir, 'no-home'), GIT_ATTR_NOSYSTEM: '1' }, encoding: 'utf8' });
  const theirs = r.stderr.split('\n').filter(Boolean).sort();
  assert.ok(theirs.length >= 4, r.stderr);
  assert.equal(warnings.join('\n').split('\n').sort(), theirs);
});

test.after(() => tmp.cleanup());
test.run();

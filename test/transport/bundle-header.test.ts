// The bundle header parser (host/transport/bundle.ts) on headers written by
// `git bundle create` and on hand-made bad ones: what it reads, where the pack
// starts, and the line and byte offset it names when it refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleFormatError, isBundleFile, parseBundleHeader, readBundleHeader } from '../../host/transport/bundle.ts';
import { git, tempDir } from '../helpers/git.ts';

const tmp = tempDir('bundle-header');
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const parse = (text: string, atEof = true) => parseBundleHeader(Buffer.from(text, 'latin1'), 'x.bundle', atEof);

function refusal(text: string): BundleFormatError {
  try {
    parse(text);
  } catch (err) {
    assert.instance(err, BundleFormatError);
    return err as BundleFormatError;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

test.after(() => tmp.cleanup());

test('v2: prerequisites with and without comments, references, the pack offset', () => {
  const text = `# v2 git bundle\n-${A} a comment here\n-${B}\n${A} refs/heads/main\n${B} HEAD\n\n`;
  const h = parse(`${text}PACK...`)!;
  assert.is(h.version, 2);
  assert.is(h.objectFormat, 'sha1');
  assert.equal(h.prerequisites, [
    { oid: A, comment: 'a comment here' },
    { oid: B, comment: '' },
  ]);
  assert.equal(h.refs, [
    { oid: A, name: 'refs/heads/main' },
    { oid: B, name: 'HEAD' },
  ]);
  assert.is(h.packOffset, Buffer.byteLength(text));
});

test('v3 capabilities: object-format (sha256 ids are 64 digits) and filter', () => {
  const C = 'c'.repeat(64);
  const h = parse(`# v3 git bundle\n@object-format=sha256\n@filter=blob:none\n${C} refs/heads/main\n\n`)!;
  assert.is(h.version, 3);
  assert.is(h.objectFormat, 'sha256');
  assert.is(h.filter, 'blob:none');
  assert.equal(h.refs, [{ oid: C, name: 'refs/heads/main' }]);
  assert.equal(h.capabilities, [
    ['object-format', 'sha256'],
    ['filter', 'blob:none'],
  ]);
});

test('an incomplete header asks for more unless the file has ended', () => {
  assert.is(parse(`# v2 git bundle\n${A} refs/heads/m`, false), null);
  assert.is(parse(`# v2 git bundle\n${A} refs/heads/main\n`, false), null);
  assert.is(parse('# v2 git', false), null);
  assert.match(refusal(`# v2 git bundle\n${A} refs/heads/main\n`).message, /without the blank line before the pack \(line 3, byte offset 73\)/);
});

test('refusals name the line and the byte offset', () => {
  const cases: [string, RegExp, number, number][] = [
    ['# v4 git bundle\n\n', /does not look like a v2 or v3 bundle file/, 1, 0],
    [`# v2 git bundle\n@object-format=sha1\n\n`, /bad reference line '@object-format=sha1'/, 2, 16],
    [`# v3 git bundle\n@object-format=md5\n\n`, /unrecognized bundle hash algorithm: md5/, 2, 16],
    [`# v3 git bundle\n@shiny=yes\n\n`, /unknown capability 'shiny=yes'/, 2, 16],
    [`# v2 git bundle\n${A} refs/heads/main\n-${B.slice(1)}\n\n`, /bad prerequisite line/, 3, 73],
    [`# v2 git bundle\n${A}\n\n`, /bad reference line/, 2, 16],
    [`# v2 git bundle\n${A.toUpperCase()} refs/heads/x\n\n`, /bad reference line/, 2, 16],
    [`# v3 git bundle\n@object-format=sha256\n${A} refs/heads/x\n\n`, /bad reference line/, 3, 38],
  ];
  for (const [text, message, line, offset] of cases) {
    const err = refusal(text);
    assert.match(err.message, message, text);
    assert.ok(err.message.startsWith('x.bundle: '), err.message);
    assert.is(err.line, line, `line for ${JSON.stringify(text)}`);
    assert.is(err.offset, offset, `offset for ${JSON.stringify(text)}`);
  }
});

test('mutated headers: a header or a BundleFormatError, never another exception', () => {
  const good = Buffer.from(`# v3 git bundle\n@object-format=sha1\n-${B} c\n${A} refs/heads/main\n${A} HEAD\n\nPACK`, 'latin1');
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = Buffer.from('\n\n -@=#abc0f9 \xff\x00', 'latin1');
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(good);
    for (let k = 1 + Math.floor(next() * 3); k > 0; k--) m[Math.floor(next() * m.length)] = alphabet[Math.floor(next() * alphabet.length)];
    const cut = next() < 0.3 ? m.subarray(0, Math.floor(next() * m.length)) : m;
    try {
      const h = parseBundleHeader(cut, 'm.bundle')!;
      assert.ok(h.packOffset > 0 && h.packOffset <= cut.length);
    } catch (err) {
      if (!(err instanceof BundleFormatError)) throw err;
      assert.ok(err.offset >= 0 && err.offset <= cut.length, err.message);
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});

test('a header written by git bundle create, read from the file in pieces; isBundleFile', () => {
  const repo = join(tmp.dir, 'repo');
  git(tmp.dir, ['init', '-q', '-b', 'main', repo]);
  // Enough refs that the header is larger than one read.
  const lines: string[] = [];
  writeFileSync(join(repo, 'f'), 'x\n');
  git(repo, ['add', 'f']);
  git(repo, ['commit', '-q', '-m', 'x']);
  const head = git(repo, ['rev-parse', 'HEAD']).trim();
  for (let i = 0; i < 2000; i++) lines.push(`create refs/tags/t-${String(i).padStart(5, '0')}-${'x'.repeat(20)} ${head}`);
  git(repo, ['update-ref', '--stdin'], { input: `${lines.join('\n')}\n` });
  const path = join(tmp.dir, 'many.bundle');
  git(repo, ['bundle', 'create', '-q', path, '--all']);
  const h = readBundleHeader(path);
  assert.ok(h.packOffset > 64 * 1024, `header of ${h.packOffset} bytes`);
  assert.is(h.refs.length, 2002); // the tags, main and HEAD
  const listed = git(repo, ['bundle', 'list-heads', path]).trim().split('\n');
  assert.equal(
    h.refs.map((r) => `${r.oid} ${r.name}`),
    listed,
  );
  assert.ok(isBundleFile(path));
  writeFileSync(join(tmp.dir, 'plain'), '# v2 git bundles are nice\n');
  assert.not.ok(isBundleFile(join(tmp.dir, 'plain')));
  assert.not.ok(isBundleFile(tmp.dir));
  assert.not.ok(isBundleFile(join(tmp.dir, 'missing')));
});

test.run();

// The core's checkout conversions (assembly/convert.ts) against git itself:
// text statistics against `git ls-files --eol` (i/lf, i/crlf, i/mixed,
// i/-text, i/none), and LF -> CRLF and $Id$ expansion against
// `git cat-file --filters`, which runs git's convert_to_working_tree().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore } from '../../host/core/instance.ts';
import { CONVERT_CRLF, CONVERT_CRLF_AUTO, CONVERT_IDENT, convertBytes, textStats } from '../../host/core/convert.ts';
import { git, gitBytes, tempDir } from '../helpers/git.ts';

const core = await loadCore();
const tmp = tempDir('convert');
git(tmp.dir, ['init', '-q']);

const samples: Record<string, Buffer> = {
  lf: Buffer.from('one\ntwo\nthree\n'),
  'no-final-newline': Buffer.from('one\ntwo'),
  crlf: Buffer.from('one\r\ntwo\r\n'),
  mixed: Buffer.from('one\r\ntwo\nthree\n'),
  'lone-cr': Buffer.from('one\rtwo\nthree\n'),
  'cr-at-end': Buffer.from('one\ntwo\r'),
  'leading-lf': Buffer.from('\n\nx\n'),
  none: Buffer.from('no newline at all'),
  nul: Buffer.from('text\0with nul\n'),
  'ctrl-z-at-end': Buffer.from('dos text\n\x1a'),
  'printable-controls': Buffer.from('tab\there\bback\x1besc\x0cff\n'),
  'few-controls': Buffer.concat([Buffer.from('x'.repeat(256) + '\n'), Buffer.from([1, 2])]),
  'many-controls': Buffer.concat([Buffer.from('x'.repeat(200) + '\n'), Buffer.from([1, 2, 3, 127])]),
  del: Buffer.from('a\x7fb\n'),
  'high-bytes': Buffer.from('h\xe9llo w\xf6rld\n', 'latin1'),
  crcrlf: Buffer.from('a\r\r\nb\n'),
  empty: Buffer.alloc(0),
};
const sampleIds: Record<string, string> = {};

test.before(() => {
  for (const [name, data] of Object.entries(samples)) {
    sampleIds[name] = git(tmp.dir, ['hash-object', '-w', '--no-filters', '--stdin'], { input: data }).trim();
  }
});

test('text statistics classify each sample as git ls-files --eol does', () => {
  const list = Object.entries(sampleIds).map(([name, id]) => `100644 ${id} 0\t${name}`).join('\n') + '\n';
  git(tmp.dir, ['update-index', '--index-info'], { input: list });
  const eol = new Map<string, string>();
  for (const line of git(tmp.dir, ['ls-files', '--eol']).split('\n').filter(Boolean)) {
    const [info, path] = line.split('\t');
    eol.set(path, info.split(/\s+/)[0].slice(2));
  }
  for (const [name, data] of Object.entries(samples)) {
    const s = textStats(core, data);
    const ours = s.binary ? '-text' : s.crlf && s.lonelf ? 'mixed' : s.crlf ? 'crlf' : s.lonelf ? 'lf' : 'none';
    assert.is(ours, eol.get(name), name);
  }
});

/** convert_to_working_tree() by git for `data` at a path whose attributes are `attrs`. */
function gitFilters(name: string, attrs: string): Buffer {
  writeFileSync(join(tmp.dir, '.gitattributes'), `${name} ${attrs}\n`);
  return gitBytes(tmp.dir, ['cat-file', '--filters', `--path=${name}`, sampleIds[name] ?? identIds[name]]);
}

test('LF -> CRLF: text eol=crlf converts every naked LF, text=auto eol=crlf only plain text without CR', () => {
  for (const [name, data] of Object.entries(samples)) {
    const id = Buffer.from(sampleIds[name], 'hex');
    assert.equal(Buffer.from(convertBytes(core, data, CONVERT_CRLF, id)), gitFilters(name, 'text eol=crlf'), `${name}: text eol=crlf`);
    assert.equal(Buffer.from(convertBytes(core, data, CONVERT_CRLF_AUTO, id)), gitFilters(name, 'text=auto eol=crlf'), `${name}: text=auto eol=crlf`);
  }
  assert.equal(Buffer.from(convertBytes(core, samples.mixed, CONVERT_CRLF, Buffer.alloc(20))).toString(), 'one\r\ntwo\r\nthree\r\n');
});

const identSamples: Record<string, string> = {
  plain: 'int x; /* $Id$ */\n',
  expanded: '/* $Id: 0123456789012345678901234567890123456789 $ */\n',
  'other-system': '$Id: file.c,v 1.2 2001/01/01 joe Exp $\n',
  'no-space': '$Id:abc$ and $Id$\n',
  'newline-inside': '$Id: broken\n$ then $Id$\n',
  unterminated: 'start $Id$ then $Id: never closed\n',
  'not-id': '$Idx$ $ID$ $I$ $Id',
  several: '$Id$$Id$ $Id: x $ $Id$\n',
  'at-end': 'tail $Id$',
  'no-keyword': 'no keyword here\n',
};
const identIds: Record<string, string> = {};

test('$Id$ expansion: each form expanded, kept or left as git does', () => {
  for (const [name, text] of Object.entries(identSamples)) {
    identIds[name] = git(tmp.dir, ['hash-object', '-w', '--no-filters', '--stdin'], { input: text }).trim();
  }
  let changed = 0;
  for (const [name, text] of Object.entries(identSamples)) {
    const want = gitFilters(name, 'ident');
    const got = Buffer.from(convertBytes(core, Buffer.from(text), CONVERT_IDENT, Buffer.from(identIds[name], 'hex')));
    assert.equal(got.toString(), want.toString(), name);
    if (!want.equals(Buffer.from(text))) changed++;
    // ident, then end of line: one pass each, as git chains them.
    const both = Buffer.from(convertBytes(core, Buffer.from(text), CONVERT_IDENT | CONVERT_CRLF, Buffer.from(identIds[name], 'hex')));
    assert.equal(both.toString(), gitFilters(name, 'ident text eol=crlf').toString(), `${name} with eol=crlf`);
  }
  assert.ok(changed >= 6, `${changed} samples expanded`);
});

test('large input: output buffers grow and results stay exact', () => {
  const big = Buffer.from('line\n'.repeat(300_000) + '$Id$\n');
  const id = Buffer.alloc(20, 0xab);
  const out = Buffer.from(convertBytes(core, big, CONVERT_IDENT | CONVERT_CRLF, id));
  assert.is(out.length, big.length + 300_001 + 43);
  assert.ok(out.subarray(-50).toString().endsWith(`$Id: ${'ab'.repeat(20)} $\r\n`));
});

test.after(() => tmp.cleanup());
test.run();

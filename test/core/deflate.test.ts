// The core's deflate against git as the oracle: `git hash-object -w` stores a
// loose object as zlib at core.loosecompression, so for every input the loose
// file git writes at level N must equal deflateZlib(N, "<type> <size>\0" +
// content), byte for byte: window slides, blocks of 16383 symbols, stored,
// fixed and dynamic blocks, code lengths capped at 15 and 7 bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inflateSync } from 'node:zlib';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCore, type Core } from '../../host/core/instance.ts';
import { git, tempDir } from '../helpers/git.ts';
import { farMatches, mixed, periodic, randomBytes, runs, text } from '../helpers/zlib-data.ts';

const { dir, cleanup } = tempDir('deflate');
git(dir, ['init', '-q', '--bare', '.']);
let core: Core;
test.before(async () => {
  core = await loadCore();
});

/** The core's zlib stream for `data` at `level`. */
function deflate(data: Uint8Array, level: number): Buffer {
  const e = core.exports;
  const ip = core.alloc(Math.max(1, data.length));
  core.bytes(ip, data.length).set(data);
  const cap = e.deflateBound(data.length);
  const op = core.alloc(cap);
  try {
    return Buffer.from(core.bytes(op, core.check(e.deflateZlib(level, ip, data.length, op, cap))));
  } finally {
    e.free(op);
    e.free(ip);
  }
}

/** The loose object git writes for a blob of `data` at zlib `level`. */
function gitLoose(data: Uint8Array, level: number): Buffer {
  const id = git(dir, ['-c', `core.loosecompression=${level}`, 'hash-object', '-w', '--stdin'], { input: data }).trim();
  const path = join(dir, 'objects', id.slice(0, 2), id.slice(2));
  const bytes = readFileSync(path);
  rmSync(path); // so the next level writes it again
  return bytes;
}

/** Symbols with Fibonacci frequencies: a Huffman code would need more than 15 bits. */
function fibonacciSkewed(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = 1;
  let b = 1;
  let at = 0;
  for (let sym = 0; at < n; sym++) {
    for (let k = 0; k < a && at < n; k++) out[at++] = sym & 0xff;
    [a, b] = [b, a + b];
  }
  // Shuffle (fixed seed) so matches are rare and literals carry the skew.
  const r = randomBytes(n * 4, 9);
  for (let i = n - 1; i > 0; i--) {
    const j = (r[i * 4] | (r[i * 4 + 1] << 8) | (r[i * 4 + 2] << 16)) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const inputs: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', Uint8Array.of(0x61)],
  ['short text', new TextEncoder().encode('hello, hello, hello world\n')],
  ['text, 200 KiB (window slides, several blocks)', text(200_000)],
  ['random, 100 KiB (stored blocks)', randomBytes(100_000)],
  ['runs, 300 KiB (long matches)', runs(300_000)],
  ['far matches, 150 KiB', farMatches(150_000)],
  ['periodic, 70 KiB', periodic(70_000)],
  ['mixed, 400 KiB', mixed(400_000)],
  ['Fibonacci-skewed bytes (code lengths capped)', fibonacciSkewed(120_000)],
];

for (const level of [1, 2, 3]) {
  test(`level ${level}: git's loose objects, byte for byte`, () => {
    for (const [name, data] of inputs) {
      const object = Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]);
      const ours = deflate(object, level);
      const theirs = gitLoose(data, level);
      if (!ours.equals(theirs)) {
        let i = 0;
        while (ours[i] === theirs[i]) i++;
        assert.unreachable(`${name}: ${ours.length} bytes against git's ${theirs.length}, first difference at byte ${i}`);
      }
      assert.ok(inflateSync(ours).equals(object), `${name}: inflates back`);
    }
  });
}

test('levels other than 1-3 and a short output buffer are refused, naming the problem', () => {
  const e = core.exports;
  const ip = core.alloc(1000);
  core.bytes(ip, 1000).set(text(1000));
  const op = core.alloc(2000);
  for (const level of [0, 4, 9]) {
    assert.is(e.deflateZlib(level, ip, 1000, op, 2000), -1);
    assert.match(core.lastError().message, new RegExp(`deflate level ${level}: only levels 1-3`));
  }
  assert.is(e.deflateZlib(1, ip, 1000, op, 10), -2);
  assert.match(core.lastError().message, /exceeds the 10 given/);
});

test.after(cleanup);
test.run();

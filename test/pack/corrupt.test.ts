// Bad packs: each fault gets its own clear message naming the pack offset, exit
// status 128, and no .idx (nor temporary file) left behind. The packs are good
// ones git made, taken apart at the entry boundaries git verify-pack reports and
// damaged in one place, with the trailer recomputed unless the trailer is the fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { git, tempDir } from '../helpers/git.ts';
import { makeHistory, packRef } from '../helpers/history.ts';
import { buildPack, entryHeader, inflateEntry, listEntries, rawEntries, splitEntry, withTrailer } from '../helpers/pack-edit.ts';
import { wasmgit } from '../helpers/cli.ts';

const { dir, cleanup } = tempDir('corrupt');
const repo = join(dir, 'repo');
mkdirSync(repo);
makeHistory(repo, { commits: 40, textFiles: 3, binaryFiles: 1, seed: 11 });
const refPack = packRef(repo, join(dir, 'ref'));
const good = readFileSync(refPack);
const listed = listEntries(dir, refPack.replace(/\.pack$/, '.idx'));
const raws = rawEntries(good, listed);

const isBase = new Set(listed.filter((e) => e.baseId).map((e) => e.baseId!));
const leafDeltas = listed.map((e, i) => ({ e, i })).filter(({ e }) => e.baseId && !isBase.has(e.id));
const blobs = listed.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'blob' && !e.baseId && e.size > 200);

/** Offset entry `i` will have in a pack rebuilt from `entries`. */
function offsetIn(entries: Buffer[], i: number): number {
  return 12 + entries.slice(0, i).reduce((n, b) => n + b.length, 0);
}

function replaced(i: number, raw: Buffer): Buffer[] {
  const copy = raws.slice();
  copy[i] = raw;
  return copy;
}

/** Runs wasmgit index-pack on `bytes`; checks status, message, offset and that no index was left. */
function expectFailure(name: string, bytes: Buffer, message: RegExp, offset: number): void {
  const d = join(dir, name.replace(/\W+/g, '-'));
  mkdirSync(d);
  const pack = join(d, 'bad.pack');
  writeFileSync(pack, bytes);
  const r = wasmgit(['index-pack', '--threads', '2', pack]);
  assert.is(r.status, 128, `exit status (stderr: ${r.stderr})`);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^fatal: /);
  assert.match(r.stderr, message, r.stderr);
  assert.ok(r.stderr.includes(`offset ${offset}`), `message names offset ${offset}: ${r.stderr}`);
  assert.equal(readdirSync(d), ['bad.pack'], 'no .idx or temporary file left');
  // git agrees the pack is bad.
  let gitFailed = false;
  try {
    git(d, ['index-pack', '-o', join(d, 'git.idx'), pack]);
  } catch {
    gitFailed = true;
  }
  assert.ok(gitFailed, 'git index-pack refuses it too');
}

test('the pack to damage has what the cases need', () => {
  assert.ok(leafDeltas.length >= 3, `leaf deltas: ${leafDeltas.length}`);
  assert.ok(blobs.length >= 1);
  // Sanity: the good pack indexes.
  const r = wasmgit(['index-pack', '-o', join(dir, 'good.idx'), refPack]);
  assert.is(r.status, 0, r.stderr);
});

test('truncated pack: names the object it ends in', () => {
  const k = blobs[0].i;
  const cut = listed[k].offset + (listed[k].sizeInPack >> 1);
  expectFailure('truncated', good.subarray(0, cut), /pack truncated at offset \d+ inside the object at offset \d+/, listed[k].offset);
});

test('wrong trailer checksum', () => {
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 1;
  expectFailure('trailer', bad, /pack trailer checksum mismatch/, good.length - 20);
});

test('bad zlib data: a broken zlib header', () => {
  const { i } = blobs[0];
  const raw = Buffer.from(raws[i]);
  raw[splitEntry(raw).headerLen] = 0x00;
  const entries = replaced(i, raw);
  expectFailure('zlib-header', buildPack(entries), /object at offset \d+: zlib: incorrect header check/, offsetIn(entries, i));
});

test('bad zlib data: damaged deflate data', () => {
  const { i } = blobs[0];
  const raw = Buffer.from(raws[i]);
  const { headerLen } = splitEntry(raw);
  for (let j = headerLen + 2; j < raw.length - 4; j += 7) raw[j] ^= 0x5a;
  const entries = replaced(i, raw);
  expectFailure('deflate-data', buildPack(entries), /object at offset \d+: zlib: /, offsetIn(entries, i));
});

test('size mismatch: the header declares one byte more than the data holds', () => {
  const { i } = blobs[0];
  const { type, size, zdata } = splitEntry(raws[i]);
  const entries = replaced(i, Buffer.concat([entryHeader(type, size + 1), zdata]));
  expectFailure('size', buildPack(entries), new RegExp(`object at offset \\d+: zlib: stream inflates to less than the expected size.*declares ${size + 1} bytes`), offsetIn(entries, i));
});

test('delta out of range: a copy past the end of its base', () => {
  const { e, i } = leafDeltas[0];
  const { baseId } = splitEntry(raws[i]);
  // The delta's header says how big its base is; copy 10 bytes starting at that size.
  const delta = inflateEntry(raws[i]);
  let p = 0;
  let baseSize = 0;
  for (let shift = 0; ; shift += 7) {
    const c = delta[p++];
    baseSize += (c & 0x7f) * 2 ** shift;
    if (!(c & 0x80)) break;
  }
  const varint = (n: number) => {
    const b: number[] = [];
    do {
      b.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n);
    return b;
  };
  const bad = Buffer.from([...varint(baseSize), ...varint(10), 0x9f, baseSize & 0xff, (baseSize >> 8) & 0xff, (baseSize >> 16) & 0xff, (baseSize >>> 24) & 0xff, 10]);
  const entries = replaced(i, Buffer.concat([entryHeader(7, bad.length, baseId), deflateSync(bad)]));
  expectFailure('delta-range', buildPack(entries), /bad delta in object at offset \d+: delta copies base bytes \d+\.\.\d+ outside the base/, offsetIn(entries, i));
  assert.ok(e.baseId);
});

test('missing base: a REF delta naming an object not in the pack', () => {
  const { i } = leafDeltas[0];
  const { type, size, zdata } = splitEntry(raws[i]);
  const entries = replaced(i, Buffer.concat([entryHeader(type, size, Buffer.alloc(20, 0x11)), zdata]));
  expectFailure('missing-base', buildPack(entries), /1 unresolved delta: the delta at offset \d+ needs base 1{40}/, offsetIn(entries, i));
});

test('delta cycle: two REF deltas naming each other as base', () => {
  const [a, b] = leafDeltas;
  const sa = splitEntry(raws[a.i]);
  const sb = splitEntry(raws[b.i]);
  const entries = raws.slice();
  entries[a.i] = Buffer.concat([entryHeader(sa.type, sa.size, Buffer.from(b.e.id, 'hex')), sa.zdata]);
  entries[b.i] = Buffer.concat([entryHeader(sb.type, sb.size, Buffer.from(a.e.id, 'hex')), sb.zdata]);
  const first = Math.min(a.i, b.i);
  expectFailure('cycle', buildPack(entries), /2 unresolved deltas: .*(missing, or in a cycle of deltas)/, offsetIn(entries, first));
});

test('more objects than the header says', () => {
  expectFailure('more', buildPack(raws, raws.length - 1), new RegExp(`more than the ${raws.length - 1} objects its header says`), listed[listed.length - 1].offset);
});

test('fewer objects than the header says', () => {
  expectFailure('fewer', buildPack(raws, raws.length + 1), new RegExp(`pack has ${raws.length} objects but its header says ${raws.length + 1}`), good.length - 20);
});

test('junk after the trailer', () => {
  expectFailure('junk', Buffer.concat([good, Buffer.from('junk')]), /junk after its trailer/, good.length);
});

test('not a pack at all', () => {
  expectFailure('signature', withTrailer(Buffer.from('KCAP\0\0\0\x02\0\0\0\0')), /not a pack: bad signature/, 0);
});

test('unknown object type 5 in an entry header', () => {
  const { i } = blobs[0];
  const { size, zdata } = splitEntry(raws[i]);
  const entries = replaced(i, Buffer.concat([entryHeader(5, size), zdata]));
  expectFailure('type5', buildPack(entries), /unknown object type 5/, offsetIn(entries, i));
});

test('a pack that is not there: git\'s message, exit 128', () => {
  const missing = join(dir, 'missing.pack');
  const r = wasmgit(['index-pack', missing]);
  assert.is(r.status, 128);
  assert.is(r.stderr, `fatal: could not open '${missing}' for reading: No such file or directory\n`);
});

test.after(cleanup);
test.run();



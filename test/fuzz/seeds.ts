// Seeds: valid inputs written by real git (and zlib at every level and strategy),
// generated into a temporary directory on each run. Mutating valid data reaches
// far deeper into a parser than random bytes do.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, symlinkSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { git, gitBytes, tempDir } from '../helpers/git.ts';
import { splitEntry } from '../helpers/pack-edit.ts';
import { Rng } from './prng.ts';

export interface PackSeed {
  pack: Uint8Array;
  /** `git verify-pack -v` rows: id, type, offset, and the base id of deltas. */
  rows: { id: string; type: string; offset: number; base?: string }[];
}

export interface Seeds {
  zlib: Uint8Array[];
  deltas: { base: Uint8Array; delta: Uint8Array }[];
  packs: PackSeed[];
  trees: Uint8Array[];
}

const WORDS = 'pack tree blob commit delta object index the of and to in is return const while if else'.split(' ');

function textFile(rng: Rng, lines: number): string {
  let s = '';
  for (let i = 0; i < lines; i++) {
    const n = rng.range(2, 9);
    const w: string[] = [];
    for (let k = 0; k < n; k++) w.push(rng.chance(0.15) ? String(rng.below(10000)) : rng.pick(WORDS));
    s += w.join(' ') + '\n';
  }
  return s;
}

/** Edits a few lines: the kind of change that makes git store deltas. */
function edit(rng: Rng, s: string): string {
  const lines = s.split('\n');
  for (let k = rng.range(1, 4); k > 0; k--) {
    const at = rng.below(lines.length);
    const op = rng.below(3);
    if (op === 0) lines.splice(at, 1);
    else if (op === 1) lines.splice(at, 0, textFile(rng, 1).trimEnd());
    else lines[at] = lines[at] + ' changed';
  }
  return lines.join('\n');
}

/** A small repository with history: text that changes, a binary, a symlink, an executable, nested trees. */
export function makeRepo(dir: string, seed: number, commits: number): void {
  const rng = new Rng(seed, 99);
  git(dir, ['init', '-q', '-b', 'main', '.']);
  git(dir, ['config', 'core.autocrlf', 'false']);
  git(dir, ['config', 'gc.auto', '0']);
  const files = ['README', 'src/main.c', 'src/util/strings.c', 'docs/guide.txt', 'a b/with space.txt'];
  const content = new Map(files.map((f) => [f, textFile(rng, rng.range(20, 120))]));
  mkdirSync(join(dir, 'src/util'), { recursive: true });
  mkdirSync(join(dir, 'docs'), { recursive: true });
  mkdirSync(join(dir, 'a b'), { recursive: true });
  writeFileSync(join(dir, 'data.bin'), rng.bytes(rng.range(1000, 6000)));
  if (!existsSync(join(dir, 'link'))) symlinkSync('src/main.c', join(dir, 'link'));
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  for (let c = 0; c < commits; c++) {
    for (const f of files) {
      if (c > 0 && !rng.chance(0.4)) continue;
      content.set(f, c === 0 ? content.get(f)! : edit(rng, content.get(f)!));
      writeFileSync(join(dir, f), content.get(f)!);
    }
    if (rng.chance(0.2)) {
      const b = readFileSync(join(dir, 'data.bin'));
      b[rng.below(b.length)] ^= 1;
      writeFileSync(join(dir, 'data.bin'), b);
    }
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '--allow-empty', '-m', `commit ${c}\n\n${textFile(rng, rng.range(0, 3))}`]);
    if (c % 4 === 3) git(dir, ['tag', '-a', `v${c}`, '-m', `release ${c}`]);
  }
}

function verifyRows(dir: string, idxPath: string): PackSeed['rows'] {
  const out: PackSeed['rows'] = [];
  for (const line of git(dir, ['verify-pack', '-v', idxPath]).split('\n')) {
    const m = /^([0-9a-f]{40}) (\w+)\s+\d+ \d+ (\d+)(?: \d+ ([0-9a-f]{40}))?/.exec(line);
    if (m) out.push({ id: m[1], type: m[2], offset: Number(m[3]), base: m[4] });
  }
  return out;
}

/** Reads one object's content with git cat-file. */
function catFile(dir: string, type: string, id: string): Uint8Array {
  return gitBytes(dir, ['cat-file', type, id]);
}

/** The inflated data of a pack entry (a delta, for delta entries). */
export function entryData(pack: Uint8Array, offset: number): Uint8Array {
  return zlib.inflateSync(splitEntry(Buffer.from(pack.buffer, pack.byteOffset + offset, pack.length - offset)).zdata);
}

let cached: Promise<Seeds> | null = null;

/** All seeds, generated once per process. */
export function seeds(): Promise<Seeds> {
  cached ??= Promise.resolve().then(generate);
  return cached;
}

function generate(): Seeds {
  const { dir, cleanup } = tempDir('fuzz-seeds');
  try {
    makeRepo(dir, 1, 14);
    const out: Seeds = { zlib: [], deltas: [], packs: [], trees: [] };
    // Loose objects: zlib streams exactly as git writes them.
    const objects = join(dir, '.git/objects');
    for (const d of readdirSync(objects).filter((n) => /^[0-9a-f]{2}$/.test(n)).sort()) {
      for (const f of readdirSync(join(objects, d)).sort()) out.zlib.push(readFileSync(join(objects, d, f)));
    }
    // zlib at every level and strategy reaches every block type: stored, fixed, dynamic.
    const sample = Buffer.from(textFile(new Rng(5), 60));
    const bin = Buffer.from(new Rng(6).bytes(3000));
    for (const [level, strategy] of [[0, 0], [1, 0], [9, 0], [6, zlib.constants.Z_FIXED], [6, zlib.constants.Z_HUFFMAN_ONLY], [6, zlib.constants.Z_RLE]]) {
      out.zlib.push(zlib.deflateSync(sample, { level, strategy }));
      out.zlib.push(zlib.deflateSync(Buffer.concat([bin, sample, bin.subarray(0, 700)]), { level, strategy }));
    }
    out.zlib.push(zlib.deflateSync(Buffer.alloc(0)));
    out.zlib.push(zlib.deflateSync(Buffer.alloc(70000, 0x61)));
    // Packs: OFS_DELTA (repack) and REF_DELTA (pack-objects without --delta-base-offset).
    git(dir, ['repack', '-adf', '-q', '--depth=8']);
    const packDir = join(objects, 'pack');
    const idx = readdirSync(packDir).find((n) => n.endsWith('.idx'))!;
    const ofs = { pack: readFileSync(join(packDir, idx.replace(/\.idx$/, '.pack'))), rows: verifyRows(dir, join(packDir, idx)) };
    out.packs.push(ofs);
    const ids = ofs.rows.map((r) => r.id).join('\n') + '\n';
    const refPack = gitBytes(dir, ['pack-objects', '--stdout', '-q'], ids);
    const tmpPack = join(dir, 'ref.pack');
    writeFileSync(tmpPack, refPack);
    git(dir, ['index-pack', '-o', join(dir, 'ref.idx'), tmpPack]);
    out.packs.push({ pack: refPack, rows: verifyRows(dir, join(dir, 'ref.idx')) });
    // A small pack: few objects, for quick mutation of every part.
    const small = makeSmallPack(dir);
    out.packs.push(small);
    // Deltas and their bases, straight out of git's pack.
    const types = new Map(ofs.rows.map((r) => [r.id, r.type]));
    for (const r of ofs.rows) {
      if (!r.base || out.deltas.length >= 40) continue;
      out.deltas.push({ base: catFile(dir, types.get(r.base)!, r.base), delta: entryData(ofs.pack, r.offset) });
    }
    for (const r of ofs.rows) if (r.type === 'tree' && out.trees.length < 30) out.trees.push(catFile(dir, 'tree', r.id));
    return out;
  } finally {
    cleanup();
  }
}

function makeSmallPack(parent: string): PackSeed {
  const dir = join(parent, 'small');
  mkdirSync(dir);
  makeRepo(dir, 2, 3);
  git(dir, ['repack', '-adf', '-q']);
  const packDir = join(dir, '.git/objects/pack');
  const idx = readdirSync(packDir).find((n) => n.endsWith('.idx'))!;
  return { pack: readFileSync(join(packDir, idx.replace(/\.idx$/, '.pack'))), rows: verifyRows(dir, join(packDir, idx)) };
}

// Inflate benchmark: the core against node:zlib (and fflate), in one run.
//
// (a) Per object, over every entry of a real pack: git writes the pack of a
//     generated repository with a long history; each entry's zlib stream starts
//     after its header (and delta base) and ends before the next entry.
// (b) One large stream (~100 MB of text-like data), fed in 1 MiB chunks.
//
// Figures are MB/s of inflated output; `ratio` is against the peer measured in
// the same run. Run alone: node --import tsx bench/core-inflate.ts
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzlibSync } from 'fflate';
import { loadCore, type Core } from '../host/core/instance.ts';
import { inflate as coreInflate, Inflater } from '../host/core/inflate.ts';
import { splitEntry } from '../test/helpers/pack-edit.ts';

export interface Row { name: string; mbPerSec: number; ratio: number; peer: string }

const WORK = fileURLToPath(new URL('./.work/', import.meta.url));
const COMMITS = Number(process.env.WASMGIT_BENCH_COMMITS ?? 3000);
const LARGE_MB = Number(process.env.WASMGIT_BENCH_LARGE_MB ?? 100);

// ---- data -------------------------------------------------------------------------

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

const WORDS = ('the of and to in is that for it as with was on be by this are or from at which but not have an they ' +
  'commit tree blob parent author committer pack index delta object return function const let while if else ' +
  'buffer offset length window stream inflate deflate header entry table bits code value count error result').split(' ');

function line(r: () => number): string {
  const indent = '  '.repeat(r() % 5);
  const n = 2 + (r() % 10);
  let s = indent;
  for (let i = 0; i < n; i++) {
    const k = r() % 12;
    s += k === 0 ? String(r() % 100000) : k === 1 ? `${WORDS[r() % WORDS.length]}(${WORDS[r() % WORDS.length]})` : WORDS[r() % WORDS.length];
    s += i + 1 < n ? ' ' : '';
  }
  return s + (r() % 3 === 0 ? ';' : '');
}

/** A repository with a long history, built with git fast-import (seconds, not minutes). */
function makeRepo(dir: string): void {
  const r = rng(12345);
  const files: string[][] = [];
  for (let f = 0; f < 120; f++) {
    const lines: string[] = [];
    const n = 40 + (r() % 300);
    for (let i = 0; i < n; i++) lines.push(line(r));
    files.push(lines);
  }
  const parts: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let t = 1_600_000_000;
  for (let c = 1; c <= COMMITS; c++) {
    t += 60 + (r() % 7200);
    let body = `commit refs/heads/main\nmark :${c}\ncommitter Bench Author <bench@example.com> ${t} +0000\n`;
    body += data(`${line(r)}\n\n${line(r)}\n${line(r)}\n`);
    if (c > 1) body += `from :${c - 1}\n`;
    const touched = c === 1 ? files.map((_, i) => i) : Array.from({ length: 1 + (r() % 3) }, () => r() % files.length);
    if (c > 1 && r() % 40 === 0) {
      files.push(Array.from({ length: 30 + (r() % 200) }, () => line(r)));
      touched.push(files.length - 1);
    }
    for (const f of new Set(touched)) {
      const lines = files[f];
      if (c > 1) {
        const edits = 1 + (r() % 8);
        for (let e = 0; e < edits; e++) {
          const at = r() % (lines.length + 1);
          const k = r() % 3;
          if (k === 0 && lines.length > 20) lines.splice(at, 1 + (r() % 3));
          else if (k === 1) lines.splice(at, 0, ...Array.from({ length: 1 + (r() % 6) }, () => line(r)));
          else lines[Math.min(at, lines.length - 1)] = line(r);
        }
      }
      body += `M 100644 inline src/dir${f % 9}/file${f}.txt\n` + data(lines.join('\n') + '\n');
    }
    parts.push(body);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', dir]);
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: parts.join(''), maxBuffer: 1 << 30 });
  execFileSync('git', ['-C', dir, 'repack', '-adf', '-q']);
}

interface Entry { start: number; end: number; size: number }

/** Every entry's zlib stream, from the .idx (via git show-index) and each entry header. */
function packEntries(dir: string): { pack: Buffer; entries: Entry[] } {
  const packDir = join(dir, 'objects', 'pack');
  const idx = readdirSync(packDir).find((f) => f.endsWith('.idx'))!;
  const pack = readFileSync(join(packDir, idx.replace(/\.idx$/, '.pack')));
  const listing = execFileSync('git', ['show-index'], { input: readFileSync(join(packDir, idx)), maxBuffer: 1 << 28, encoding: 'utf8' });
  const offsets = listing.trim().split('\n').map((l) => Number(l.split(' ')[0])).sort((a, b) => a - b);
  const entries: Entry[] = [];
  for (let i = 0; i < offsets.length; i++) {
    const end = i + 1 < offsets.length ? offsets[i + 1] : pack.length - 20;
    const { size, headerLen } = splitEntry(pack.subarray(offsets[i], end));
    entries.push({ start: offsets[i] + headerLen, end, size });
  }
  return { pack, entries };
}

function largeText(mb: number): Uint8Array {
  const r = rng(777);
  const out = new Uint8Array(mb * 1024 * 1024);
  const enc = new TextEncoder();
  let o = 0;
  while (o < out.length) {
    const block: string[] = [];
    for (let i = 0; i < 2000; i++) block.push(line(r));
    const bytes = enc.encode(block.join('\n') + '\n');
    out.set(bytes.subarray(0, Math.min(bytes.length, out.length - o)), o);
    o += bytes.length;
    // Repeat a random earlier stretch now and then, as files and versions do.
    if (o > 1 << 20 && o < out.length && r() % 2 === 0) {
      const len = Math.min(out.length - o, 20_000 + (r() % 200_000));
      const from = r() % (o - len > 0 ? o - len : 1);
      out.copyWithin(o, from, from + len);
      o += len;
    }
  }
  return out;
}

// ---- timing -------------------------------------------------------------------------

/** Best of `rounds` timings of fn (ms); the candidates take turns so drift hits all alike. */
function timeAll(fns: Record<string, () => void>, rounds: number): Record<string, number> {
  const best: Record<string, number> = {};
  for (const name of Object.keys(fns)) fns[name](); // warm up
  for (let i = 0; i < rounds; i++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t0 = process.hrtime.bigint();
      fn();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      best[name] = Math.min(best[name] ?? Infinity, ms);
    }
  }
  return best;
}

function rows(times: Record<string, number>, bytes: number, peer: string): Row[] {
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  return Object.entries(times).map(([name, ms]) => ({
    name,
    mbPerSec: mbps(ms),
    ratio: mbps(ms) / mbps(times[peer]),
    peer,
  }));
}

// ---- the benchmark ---------------------------------------------------------------------

export async function benchInflate(): Promise<Row[]> {
  const core = await loadCore();
  const repo = join(WORK, `inflate-repo-${COMMITS}`);
  if (!existsSync(join(repo, 'objects', 'pack')) || !readdirSync(join(repo, 'objects', 'pack')).some((f) => f.endsWith('.pack'))) {
    makeRepo(repo);
  }
  const { pack, entries } = packEntries(repo);
  const total = entries.reduce((s, e) => s + e.size, 0);
  const maxSize = entries.reduce((m, e) => Math.max(m, e.size), 0);
  const compressed = entries.reduce((s, e) => s + e.end - e.start, 0);
  console.error(`pack: ${entries.length} entries, ${(compressed / 1e6).toFixed(1)} MB compressed, ${(total / 1e6).toFixed(1)} MB inflated, ${Math.round(compressed / entries.length)} B average entry`);

  // The pack sits in linear memory once (as pass 2 reads it); one output buffer serves every object.
  const e = core.exports;
  const packPtr = core.alloc(pack.length);
  core.bytes(packPtr, pack.length).set(pack);
  const outPtr = core.alloc(maxSize + 16);
  // Correctness first: every object must equal node's.
  for (const en of entries) {
    const want = zlib.inflateSync(pack.subarray(en.start, en.end));
    const used = e.inflateWhole(packPtr + en.start, en.end - en.start, outPtr, en.size);
    if (used < 0) throw core.lastError(used);
    if (!Buffer.from(core.bytes(outPtr, en.size)).equals(want)) throw new Error(`entry at ${en.start}: output differs from node:zlib`);
  }

  const perObject = timeAll({
    'node:zlib inflateSync, per object': () => {
      for (const en of entries) zlib.inflateSync(pack.subarray(en.start, en.end));
    },
    'fflate unzlibSync { out }, per object': () => {
      for (const en of entries) unzlibSync(pack.subarray(en.start, en.end), { out: new Uint8Array(en.size) });
    },
    'wasmgit inflateWhole, per object (pack in core memory)': () => {
      for (const en of entries) e.inflateWhole(packPtr + en.start, en.end - en.start, outPtr, en.size);
    },
    'wasmgit host inflate(), per object (copy in and out)': () => {
      for (const en of entries) coreInflate(core, pack.subarray(en.start, en.end), { expectedSize: en.size });
    },
  }, 7);
  const out = rows(perObject, total, 'node:zlib inflateSync, per object');

  // (b) One large stream.
  const big = largeText(LARGE_MB);
  const z = zlib.deflateSync(big, { level: 6 });
  console.error(`large stream: ${(big.length / 1e6).toFixed(0)} MB → ${(z.length / 1e6).toFixed(1)} MB at level 6`);
  const CHUNK = 1 << 20;
  const zPtr = core.alloc(z.length);
  core.bytes(zPtr, z.length).set(z);
  const bigOut = core.alloc(big.length);
  const check = (got: Uint8Array, what: string) => {
    if (!Buffer.from(got.buffer, got.byteOffset, got.length).equals(big)) throw new Error(`${what}: output differs`);
  };
  check(zlib.inflateSync(z, { chunkSize: CHUNK }), 'node');
  if (e.inflateWhole(zPtr, z.length, bigOut, big.length) !== z.length) throw core.lastError();
  check(core.bytes(bigOut, big.length), 'inflateWhole');
  const streamed = () => {
    const inf = new Inflater(core, { outChunkSize: CHUNK });
    const parts: Uint8Array[] = [];
    for (let p = 0; p < z.length; p += CHUNK) parts.push(...inf.push(z.subarray(p, p + CHUNK)).output);
    inf.end();
    return parts;
  };
  check(Buffer.concat(streamed()), 'streamed');
  const large = timeAll({
    'node:zlib inflateSync, 100 MB stream, 1 MiB chunks': () => { zlib.inflateSync(z, { chunkSize: CHUNK }); },
    'wasmgit Inflater, 100 MB stream, 1 MiB chunks in and out': () => { streamed(); },
    'wasmgit inflateWhole, 100 MB stream in core memory': () => { e.inflateWhole(zPtr, z.length, bigOut, big.length); },
  }, 5);
  out.push(...rows(large, big.length, 'node:zlib inflateSync, 100 MB stream, 1 MiB chunks'));
  return out;
}

function print(rs: Row[]): void {
  const w = Math.max(...rs.map((r) => r.name.length));
  for (const r of rs) {
    console.log(`${r.name.padEnd(w)}  ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  ${r.ratio.toFixed(2)}× ${r.name === r.peer ? '(peer)' : ''}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  print(await benchInflate());
}

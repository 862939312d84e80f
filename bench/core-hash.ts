// Benchmarks the core's hashes against their native peers, measured in the same
// run: SHA-1DC vs git's own (`git hash-object`), plain SHA-1 and SHA-256 vs
// node:crypto, CRC-32 per pack entry and on one buffer vs zlib.crc32.
//
// Run alone: node --import tsx bench/core-hash.ts
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, statSync, writeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { loadCore } from '../host/core/instance.ts';

export interface Row { name: string; mbPerSec: number; ratio: number; peer: string }

const MB = 1 << 20;
const workDir = fileURLToPath(new URL('./.work/', import.meta.url));

// Times are CPU time (user + system), of this process for the core and the in-process peers and
// of the child for `git hash-object`: single-threaded work takes the same CPU time as wall time on
// an idle machine, but on a shared one wall time also counts the time other processes ran, which
// skews a ratio between an in-process loop and a separate process.

/** CPU seconds this process has used. */
const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Best throughput (MB/s) of `fn` over `bytes` bytes, repeated for at least `minMs` of CPU time per round, best of 3 rounds. */
function throughput(bytes: number, fn: () => void, minMs = 400): number {
  fn(); // warm up (tier-up of the wasm and JS code)
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = cpuSeconds();
    let elapsed = 0;
    do { fn(); n++; elapsed = cpuSeconds() - t0; } while (elapsed * 1000 < minMs);
    best = Math.max(best, (bytes * n) / MB / elapsed);
  }
  return best;
}

/** CPU time (s, user + system) of one run of a command, best of `runs`; bash's `time` reads the child's usage. */
function timeCommand(cmd: string, args: string[], runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const out = execFileSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; { time "$0" "$@" >/dev/null; } 2>&1', cmd, ...args], { encoding: 'utf8' });
    const [user, sys] = out.trim().split(/\s+/).slice(-2).map(Number);
    best = Math.min(best, user + sys);
  }
  return best;
}

/** A file of `size` random bytes in bench/.work/, reused across runs. */
function workFile(name: string, size: number): string {
  mkdirSync(workDir, { recursive: true });
  const path = join(workDir, name);
  if (existsSync(path) && statSync(path).size === size) return path;
  rmSync(path, { force: true }); // a file of another size, or a link to nothing
  const fd = openSync(path, 'w');
  for (let off = 0; off < size; off += 16 * MB) writeSync(fd, randomBytes(Math.min(16 * MB, size - off)));
  closeSync(fd);
  return path;
}

/** Pack-entry-like sizes: log-normal around a few hundred bytes, a long tail of larger blobs. */
function entrySizes(count: number): number[] {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const normal = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    out.push(Math.max(12, Math.min(256 * 1024, Math.round(Math.exp(5.2 + 1.1 * normal)))));
  }
  return out;
}

const row = (name: string, mbPerSec: number, peerName: string, peerMbPerSec: number): Row =>
  ({ name, mbPerSec, ratio: mbPerSec / peerMbPerSec, peer: `${peerName} ${peerMbPerSec.toFixed(0)} MB/s` });

export async function benchHashes(): Promise<Row[]> {
  const core = await loadCore();
  const e = core.exports;
  const rows: Row[] = [];

  // One large buffer in linear memory, hashed in place as the core does with pack data.
  const size = 64 * MB;
  const data = randomBytes(size);
  const buf = core.alloc(size);
  core.bytes(buf, size).set(data);
  const ctx = core.alloc(e.sha1CtxSize());
  const out = core.alloc(32);
  const sha1 = (detect: number) => () => { e.sha1Init(ctx, detect); e.sha1Update(ctx, buf, size); e.sha1Final(ctx, out); };

  // git's SHA-1DC: `git hash-object` on a 500 MB file (page-cached), process start included;
  // a 1-byte file estimates that fixed cost.
  const bigFile = workFile('hash-500mb.bin', 500 * MB);
  const tinyFile = workFile('hash-1b.bin', 1);
  timeCommand('git', ['hash-object', bigFile], 1); // warm the page cache
  const gitBig = timeCommand('git', ['hash-object', bigFile]);
  const gitTiny = timeCommand('git', ['hash-object', tinyFile], 5);
  const gitMBs = 500 / gitBig;
  rows.push(row('SHA-1DC (collision detection), 64 MB', throughput(size, sha1(1)), 'git hash-object (SHA-1DC)', gitMBs));
  rows.push(row('SHA-1 plain, 64 MB', throughput(size, sha1(0)), 'node:crypto sha1', throughput(size, () => createHash('sha1').update(data).digest())));

  const ctx256 = core.alloc(e.sha256CtxSize());
  rows.push(row('SHA-256, 64 MB', throughput(size, () => { e.sha256Init(ctx256); e.sha256Update(ctx256, buf, size); e.sha256Final(ctx256, out); }),
    'node:crypto sha256', throughput(size, () => createHash('sha256').update(data).digest())));

  // CRC-32 per pack entry: entries back to back, one call each (index-pack computes one CRC per entry).
  const sizes = entrySizes(100_000);
  const total = sizes.reduce((a, b) => a + b, 0);
  const entries = data.subarray(0, total);
  // Two rows against the same peer: one JS->wasm call per entry (what a host pays calling in per
  // entry), and one crc32Entries call over an offsets table (what the core pays when it loops over
  // entries itself, as index-pack and verify-pack do). zlib.crc32 has no batch form: one call each.
  const zlibPerEntry = throughput(total, () => { let p = 0, c = 0; for (const n of sizes) { c ^= zlib.crc32(entries.subarray(p, p + n)); p += n; } });
  const label = `${sizes.length} entries, avg ${Math.round(total / sizes.length)} B`;
  rows.push(row(`CRC-32 per entry, call per entry (${label})`,
    throughput(total, () => { let p = buf, c = 0; for (const n of sizes) { c ^= e.crc32Update(0, p, n); p += n; } }),
    'zlib.crc32 per entry', zlibPerEntry));
  const offsets = core.alloc(4 * (sizes.length + 1)), crcs = core.alloc(4 * sizes.length);
  const table = new Uint32Array(e.memory.buffer, offsets, sizes.length + 1);
  sizes.reduce((o, n, i) => (table[i + 1] = o + n), (table[0] = 0));
  rows.push(row(`CRC-32 per entry, loop in the core (${label})`,
    throughput(total, () => e.crc32Entries(buf, offsets, sizes.length, crcs)), 'zlib.crc32 per entry', zlibPerEntry));
  rows.push(row('CRC-32, 64 MB', throughput(size, () => e.crc32Update(0, buf, size)), 'zlib.crc32', throughput(size, () => zlib.crc32(data))));

  (benchHashes as { gitOverheadSeconds?: number }).gitOverheadSeconds = gitTiny;
  return rows;
}

function print(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  ${r.ratio.toFixed(2)}×  vs ${r.peer}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchHashes();
  print(rows);
  const overhead = (benchHashes as { gitOverheadSeconds?: number }).gitOverheadSeconds;
  if (overhead !== undefined) console.log(`(git hash-object on a 1-byte file: ${(overhead * 1000).toFixed(1)} ms CPU, included in its figure above; all figures are CPU time)`);
}

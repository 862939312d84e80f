#!/usr/bin/env node
// Indexes a pack with wasmgit/core from Node, Bun or Deno (the same file):
//
//   node examples/core/index-pack.mjs <pack> <out.idx>
//   bun examples/core/index-pack.mjs <pack> <out.idx>
//   deno run --allow-read --allow-write examples/core/index-pack.mjs <pack> <out.idx>
//
// The pack is read with positioned reads (node:fs, which all three provide)
// into the core's input window, never mapped; the core does the rest through
// its plain ABI (docs/core-abi.md, "Pack indexing"). Prints the pack checksum
// as `git index-pack` does; with --time, also the indexing time in ms to stderr.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { loadCore } from '../../dist/core/index.js';

const args = process.argv.slice(2);
const timed = args[0] === '--time' && args.shift();
const [packPath, idxPath] = args;
if (!packPath || !idxPath) {
  process.stderr.write('usage: index-pack.mjs [--time] <pack> <out.idx>\n');
  process.exit(129);
}

const core = await loadCore();
const e = core.exports;
const fd = openSync(packPath, 'r');
const size = fstatSync(fd).size;
const readAt = (offset, dst) => {
  let done = 0;
  while (done < dst.length) {
    const n = readSync(fd, dst, done, dst.length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done;
};
const source = core.addSource({ readAt });

try {
  const t0 = performance.now();
  // Pass 1: stream the pack through the core's input window.
  core.check(e.packScanBegin(BigInt(size)));
  for (let at = 0; at < size; ) {
    const n = Math.min(e.packScanSpace(), size - at);
    if (readAt(at, core.bytes(e.packScanWindow(), n)) !== n) throw new Error(`${packPath}: short read at offset ${at}`);
    core.check(e.packScanPush(n));
    at += n;
  }
  core.check(e.packScanEnd());
  // Pass 2: resolve deltas; the core reads entries back through readAt.
  core.check(e.packResolveBegin(source, 0n, 0));
  core.check(e.packResolveAll());
  core.check(e.packResolveCheck());
  const len = core.check(e.packIdxBuild());
  const idx = core.bytes(e.packIdxPtr(), len).slice();
  const ms = performance.now() - t0;
  writeFileSync(idxPath, idx);
  const hex = Array.from(idx.subarray(len - 40, len - 20), (b) => b.toString(16).padStart(2, '0')).join('');
  process.stdout.write(`${hex}\n`);
  if (timed) process.stderr.write(`index-ms ${ms.toFixed(1)}\n`);
} catch (err) {
  process.stderr.write(`fatal: ${packPath}: ${err.message}${err.offset !== undefined ? ` (offset ${err.offset})` : ''}\n`);
  process.exitCode = 128;
} finally {
  closeSync(fd);
}

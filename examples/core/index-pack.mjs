#!/usr/bin/env node
// Indexes a pack with wasmgit/core from Node, Bun or Deno (the same file):
//
//   node examples/core/index-pack.mjs <pack> <out.idx>
//   bun examples/core/index-pack.mjs <pack> <out.idx>
//   deno run --allow-read --allow-write examples/core/index-pack.mjs <pack> <out.idx>
//
// The pack is read with positioned reads (node:fs, which all three provide)
// into the core's input window, never mapped; PackCore (wasmgit/core's typed
// wrapper of the ABI in docs/core-abi.md) does the rest. Prints the pack checksum
// as `git index-pack` does; with --time, also the indexing time in ms to stderr.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { loadCore, PackCore } from '../../dist/core/index.js';

const args = process.argv.slice(2);
const timed = args[0] === '--time' && args.shift();
const [packPath, idxPath] = args;
if (!packPath || !idxPath) {
  process.stderr.write('usage: index-pack.mjs [--time] <pack> <out.idx>\n');
  process.exit(129);
}

const core = await loadCore();
const pc = new PackCore(core);
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

try {
  const t0 = performance.now();
  // Pass 1: the pack streams through the core's input window, front to back.
  pc.scanBegin(size);
  pc.scanFrom((dst, position) => readAt(position, dst));
  pc.scanEnd();
  // Pass 2: deltas resolved in this one instance; the core reads entries back through readAt.
  pc.resolveBegin({ readAt });
  pc.resolveAll();
  pc.resolveCheck();
  const idx = pc.buildIdx();
  const ms = performance.now() - t0;
  writeFileSync(idxPath, idx);
  const hex = Array.from(pc.checksum(), (b) => b.toString(16).padStart(2, '0')).join('');
  process.stdout.write(`${hex}\n`);
  if (timed) process.stderr.write(`index-ms ${ms.toFixed(1)}\n`);
} catch (err) {
  process.stderr.write(`fatal: ${packPath}: ${err.message}${err.offset !== undefined ? ` (offset ${err.offset})` : ''}\n`);
  process.exitCode = 128;
} finally {
  pc.dispose();
  closeSync(fd);
}

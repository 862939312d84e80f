#!/usr/bin/env node
// Runs the WASI command build/wasmgit-wasi.wasm with the runtime's own
// `node:wasi`. The same file works in Node, Bun and Deno:
//
//   node --disable-warning=ExperimentalWarning examples/wasi/run.mjs index-pack objects/pack/pack-1234.pack
//   bun examples/wasi/run.mjs verify-pack -v objects/pack/pack-1234.idx
//   deno run --allow-read --allow-write examples/wasi/run.mjs index-pack -o out.idx in.pack
//
// The working directory is preopened as "." and the root as "/", so relative
// and absolute paths both work.
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';
import process from 'node:process';

const wasm = new URL('../../build/wasmgit-wasi.wasm', import.meta.url);
const wasi = new WASI({
  version: 'preview1',
  args: ['wasmgit-wasi', ...process.argv.slice(2)],
  env: {},
  preopens: { '.': process.cwd(), '/': '/' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasm));
// Each import goes through a plain JS function: when wasm calls Node's WASI
// functions directly, V8 may take their "fast call" path, which can use a stale
// view of memory after memory.grow and crash the process (nodejs/node#53087,
// #46777); the command grows memory while indexing, so it must not go there.
// Bun's WASI has no getImportObject(): name the import module ourselves.
const imports = {};
for (const [name, fn] of Object.entries(wasi.wasiImport)) imports[name] = (...args) => fn(...args);
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports });
process.exitCode = wasi.start(instance) ?? 0;

// Runs build/wasmgit-wasi.wasm under @bjorn3/browser_wasi_shim, the pure-JS
// WASI used in browsers, with the files of the working directory loaded into
// an in-memory preopen "."; files the command creates are written back.
//   node browser-wasi-shim-run.mjs <wasm> <args...>
import { WASI, File, OpenFile, ConsoleStdout, PreopenDirectory } from '@bjorn3/browser_wasi_shim';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';

const [wasmPath, ...args] = process.argv.slice(2);
const files = new Map();
for (const name of readdirSync('.')) if (statSync(name).isFile()) files.set(name, new File(readFileSync(name)));
const before = new Set(files.keys());
const dir = new PreopenDirectory('.', files);
const fds = [
  new OpenFile(new File([])),
  ConsoleStdout.lineBuffered((line) => process.stdout.write(`${line}\n`)),
  ConsoleStdout.lineBuffered((line) => process.stderr.write(`${line}\n`)),
  dir,
];
const wasi = new WASI(['wasmgit-wasi', ...args], [], fds, { debug: false });
const module = new WebAssembly.Module(readFileSync(wasmPath));
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
const code = wasi.start(instance);
for (const [name, entry] of dir.dir.contents) {
  if (entry instanceof File && !before.has(name)) writeFileSync(name, entry.data);
}
process.exitCode = code;

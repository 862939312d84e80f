// Runs build/wasmgit-wasi.wasm under @wasmer/wasi (Wasmer's WASI, compiled to
// wasm for JavaScript hosts) with the working directory's files copied into its
// in-memory filesystem, preopened as "."; files the command creates are written back.
//   node wasmer-wasi-run.mjs <wasm> <args...>
import { init, WASI, MemFS } from '@wasmer/wasi';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';

const [wasmPath, ...args] = process.argv.slice(2);
await init();
const fs = new MemFS();
fs.createDir('/cwd');
const before = readdirSync('.').filter((name) => statSync(name).isFile());
for (const name of before) fs.open(`/cwd/${name}`, { read: true, write: true, create: true }).write(readFileSync(name));
const wasi = new WASI({ args: ['wasmgit-wasi', ...args], env: {}, preopens: { '.': '/cwd' }, fs });
await wasi.instantiate(await WebAssembly.compile(readFileSync(wasmPath)), {});
const code = wasi.start();
process.stdout.write(wasi.getStdoutString());
process.stderr.write(wasi.getStderrString());
for (const { path } of wasi.fs.readDir('/cwd')) {
  const name = path.replace(/^\/cwd\//, '');
  if (!before.includes(name)) writeFileSync(name, wasi.fs.open(path, { read: true }).read());
}
process.exitCode = code;

// The WASI command build/wasmgit-wasi.wasm under every WASI runtime that
// installs here: each indexes a git-made pack, and the .idx must be the bytes
// `git index-pack` wrote; verify-pack -v must print what git's prints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { skipWithReason } from '../helpers/skip.ts';
import { ROOT, WASI_RUNNER, WASI_WASM, CORE_WASM, bun, deno, git, makeFastImportPack, makeGitPack, run, type GitPack } from '../helpers/runtimes.ts';

const test = suite('wasi');
let fx: GitPack;
let gitVerify: string;

test.before(() => {
  fx = makeGitPack();
  const idx = join(fx.dir, '..', 'git.idx');
  copyFileSync(idx, join(fx.dir, '..', 'git-copy.idx'));
  // git verify-pack wants the pack beside its .idx under the same name.
  const ref = mkdtempSync(join(fx.dir, '..', 'ref-'));
  copyFileSync(fx.pack, join(ref, 'sample.pack'));
  copyFileSync(idx, join(ref, 'sample.idx'));
  gitVerify = git(ref, ['verify-pack', '-v', 'sample.idx']);
});
test.after(() => fx?.cleanup());

/** A fresh folder holding only sample.pack, for one runtime's run. */
function workDir(): string {
  const d = mkdtempSync(join(fx.dir, '..', 'run-'));
  copyFileSync(fx.pack, join(d, 'sample.pack'));
  return d;
}

interface WasiRuntime {
  name: string;
  /** Command line running the WASI command with `args`, or a reason it cannot run. */
  argv(args: string[]): [string, string[]] | string;
}

const SHIM_RUNNER = join(ROOT, 'test', 'helpers', 'browser-wasi-shim-run.mjs');
const WASMER_RUNNER = join(ROOT, 'test', 'helpers', 'wasmer-wasi-run.mjs');
const bunRt = bun();
const denoRt = deno();

const runtimes: WasiRuntime[] = [
  { name: 'node:wasi (Node)', argv: (a) => [process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, ...a]] },
  { name: 'node:wasi (Bun)', argv: (a) => bunRt.unavailable ?? [bunRt.bin, [WASI_RUNNER, ...a]] },
  { name: 'bun <file>.wasm', argv: (a) => bunRt.unavailable ?? [bunRt.bin, [WASI_WASM, ...a]] },
  { name: 'node:wasi (Deno)', argv: (a) => denoRt.unavailable ?? [denoRt.bin, ['run', '--allow-read', '--allow-write', WASI_RUNNER, ...a]] },
  { name: '@bjorn3/browser_wasi_shim (in-memory files)', argv: (a) => [process.execPath, [SHIM_RUNNER, WASI_WASM, ...a]] },
  { name: '@wasmer/wasi (Wasmer\'s WASI on wasm, in-memory files)', argv: (a) => [process.execPath, [WASMER_RUNNER, WASI_WASM, ...a]] },
  { name: 'wasm-interp (wabt)', argv: (a) => wasmInterp() ?? ['wasm-interp', ['--wasi', '--dir=.', WASI_WASM, '--', ...a]] },
];

/** Debian's wabt is built without WASI ("wasi support not compiled in"): say so instead of failing. */
function wasmInterp(): string | null {
  const r = spawnSync('wasm-interp', ['--wasi', '--dir=.', WASI_WASM, '--', '--help'], { encoding: 'utf8' });
  if (r.error) return 'wasm-interp (Debian package wabt) is not installed';
  const out = `${r.stdout}${r.stderr}`;
  if (/not compiled in/.test(out)) return `this wasm-interp has no WASI: "${out.trim()}"`;
  if (r.status !== 0) return `wasm-interp cannot run the command: ${out.trim().slice(0, 200)}`;
  return null;
}

test('the WASI build imports only wasi_snapshot_preview1; the JS build only host.* and env.abort', () => {
  const wasiImports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(WASI_WASM)));
  assert.ok(wasiImports.length > 0);
  assert.equal(wasiImports.filter((i) => i.module !== 'wasi_snapshot_preview1'), [], 'no import outside WASI');
  assert.ok(wasiImports.some((i) => i.name === 'fd_pread'), 'packs are read with fd_pread');
  assert.not.ok(wasiImports.some((i) => /mmap/.test(i.name)));
  const exportsOf = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(WASI_WASM))).map((e) => e.name);
  assert.ok(exportsOf.includes('_start') && exportsOf.includes('memory'), 'a WASI command exports _start and memory');
  const coreImports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(CORE_WASM)));
  const stray = coreImports.filter((i) => !(i.module === 'host' && ['readAt', 'progress'].includes(i.name)) && !(i.module === 'env' && i.name === 'abort'));
  assert.equal(stray, [], `JS build imports only host.readAt, host.progress and env.abort`);
});

for (const rt of runtimes) {
  const probeArgv = rt.argv([]);
  if (typeof probeArgv === 'string') {
    skipWithReason(test, `${rt.name}: index-pack and verify-pack -v match git`, probeArgv);
    continue;
  }
  test(`${rt.name}: index-pack and verify-pack -v match git`, () => {
    const d = workDir();
    const [bin, args] = rt.argv(['index-pack', 'sample.pack']) as [string, string[]];
    const r = run(bin, args, d);
    assert.is(r.status, 0, `${rt.name} index-pack failed: ${r.stderr}${r.error ?? ''}`);
    assert.is(r.stdout, fx.gitStdout, 'prints the pack checksum as git index-pack does');
    const ours = readFileSync(join(d, 'sample.idx'));
    assert.ok(ours.equals(fx.gitIdx), `.idx differs from git's (${ours.length} vs ${fx.gitIdx.length} bytes)`);
    assert.equal(readdirSync(d).sort(), ['sample.idx', 'sample.pack'], 'no temporary file left behind');
    const [vbin, vargs] = rt.argv(['verify-pack', '-v', 'sample.idx']) as [string, string[]];
    const v = run(vbin, vargs, d);
    assert.is(v.status, 0, `verify-pack failed: ${v.stderr}`);
    assert.fixture(v.stdout, gitVerify);
  });
}

test('node:wasi: many packs in one run, memory growing between WASI calls, do not crash Node', () => {
  // Calling node:wasi's functions straight from wasm lets V8 use their fast-call
  // path, which can touch memory freed by memory.grow (nodejs/node#53087):
  // verifying a 20k-object pack eight times in one instance crashed with SIGSEGV
  // until examples/wasi/run.mjs put a JS function in between.
  const d = mkdtempSync(join(fx.dir, '..', 'grow-'));
  makeFastImportPack(d, 'mid', 5000);
  const r = run(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, 'verify-pack', ...Array(8).fill('mid.idx')], d);
  assert.is(r.status, 0, `exit ${r.status}, signal-like status means a crash: ${r.stderr}`);
  assert.is(r.stderr, '');
});

/** Runs the WASI command under Node with its stdout read by `read` (given the stream); resolves to its status, what was read and stderr. */
function runPiped(args: string[], cwd: string, read: (out: Readable) => Promise<string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  c.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => c.on('close', (code) => resolve(code)));
  return read(c.stdout).then(async (stdout) => ({ status: await exited, stdout, stderr }));
}

test('node:wasi: output to a pipe whose reader falls behind arrives whole; a reader that leaves ends it with 141, as git', async () => {
  // Node opens a pipe on standard output non-blocking: a write the reader is
  // not ready for answers EAGAIN, and these lines were silently lost.
  const d = workDir();
  copyFileSync(join(fx.dir, '..', 'git.idx'), join(d, 'sample.idx'));
  const args = ['verify-pack', '-v', ...Array(8).fill('sample.idx')];
  const want = git(d, args);
  const slow = await runPiped(args, d, async (out) => {
    out.pause();
    await new Promise((r) => setTimeout(r, 300));
    const parts: Buffer[] = [];
    for await (const chunk of out) parts.push(chunk as Buffer);
    return Buffer.concat(parts).toString('utf8');
  });
  assert.is(slow.status, 0, slow.stderr);
  assert.is(slow.stdout.length, want.length, 'every byte reached the reader');
  assert.ok(slow.stdout === want, 'the same output as git verify-pack -v');
  // git's check_pipe(): EPIPE ends the command with status 141 and no message.
  const gone = await runPiped(args, d, async (out) => {
    const first = await new Promise<Buffer>((resolve) => out.once('data', resolve));
    out.destroy();
    return first.toString('utf8');
  });
  assert.is(gone.status, 141, gone.stderr);
  assert.is(gone.stderr, '');
});

test('node:wasi: -o writes where asked, through an absolute path', () => {
  const d = workDir();
  const out = join(d, 'named.idx');
  const r = run(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, 'index-pack', '-o', out, join(d, 'sample.pack')], d);
  assert.is(r.status, 0, r.stderr);
  assert.ok(readFileSync(out).equals(fx.gitIdx));
  assert.not.ok(existsSync(join(d, 'sample.idx')));
});

test('node:wasi: a truncated pack fails with its offset, exit 128, and leaves no .idx', () => {
  const d = workDir();
  const pack = join(d, 'sample.pack');
  truncateSync(pack, statSync(pack).size - 100);
  const r = run(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, 'index-pack', 'sample.pack'], d);
  assert.is(r.status, 128, `exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, /^fatal: sample\.pack: /);
  assert.match(r.stderr, /offset/);
  assert.equal(readdirSync(d), ['sample.pack'], 'nothing written');
});

test('node:wasi: verify-pack rejects an .idx that does not match its pack', () => {
  const d = workDir();
  const idx = Buffer.from(fx.gitIdx);
  idx[idx.length - 30] ^= 0xff; // inside the pack checksum copy
  writeFileSync(join(d, 'sample.idx'), idx);
  const r = run(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, 'verify-pack', 'sample.idx'], d);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /sample\.pack: bad/);
});

test('node:wasi: usage errors exit 129; paths outside every preopen are refused by name', () => {
  const d = workDir();
  const u = run(process.execPath, ['--disable-warning=ExperimentalWarning', WASI_RUNNER, 'index-pack', '--bogus'], d);
  assert.is(u.status, 129);
  assert.match(u.stderr, /usage: wasmgit-wasi index-pack/);
  // A runtime given only one directory cannot reach files elsewhere.
  const script = `import { WASI } from 'node:wasi'; import { readFileSync } from 'node:fs';
    const w = new WASI({ version: 'preview1', args: ['wasmgit-wasi', 'index-pack', '/elsewhere/x.pack'], preopens: { '/sandbox': ${JSON.stringify(d)} }, returnOnExit: true });
    const i = await WebAssembly.instantiate(new WebAssembly.Module(readFileSync(${JSON.stringify(WASI_WASM)})), { wasi_snapshot_preview1: w.wasiImport });
    process.exitCode = w.start(i);`;
  const r = run(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], d);
  assert.is(r.status, 128);
  assert.match(r.stderr, /cannot reach '\/elsewhere\/x\.pack'/);
});

test.run();

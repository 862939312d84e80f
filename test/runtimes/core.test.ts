// wasmgit/core (dist/core/index.js, as packed) imported and used under Node,
// Bun and Deno: each indexes a git-made pack through the core's JS ABI, and
// the .idx must be the bytes `git index-pack` wrote.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { skipWithReason } from '../helpers/skip.ts';
import { ROOT, bun, deno, makeGitPack, run, type GitPack } from '../helpers/runtimes.ts';

const test = suite('core in every JS runtime');
const SCRIPT = join(ROOT, 'examples', 'core', 'index-pack.mjs');
let fx: GitPack;
test.before(() => {
  fx = makeGitPack();
});
test.after(() => fx?.cleanup());

const bunRt = bun();
const denoRt = deno();
const runtimes: { name: string; argv: (a: string[]) => [string, string[]] | string }[] = [
  { name: 'Node', argv: (a) => [process.execPath, [SCRIPT, ...a]] },
  { name: 'Bun', argv: (a) => bunRt.unavailable ?? [bunRt.bin, [SCRIPT, ...a]] },
  { name: 'Deno', argv: (a) => denoRt.unavailable ?? [denoRt.bin, ['run', '--allow-read', '--allow-write', SCRIPT, ...a]] },
];

for (const rt of runtimes) {
  const name = `${rt.name}: wasmgit/core indexes a pack to git's exact .idx`;
  const probe = rt.argv([]);
  if (typeof probe === 'string') {
    skipWithReason(test, name, probe);
    continue;
  }
  test(name, () => {
    const d = mkdtempSync(join(fx.dir, '..', `core-${rt.name}-`));
    const out = join(d, 'out.idx');
    const [bin, args] = rt.argv([fx.pack, out]) as [string, string[]];
    const r = run(bin, args, d);
    assert.is(r.status, 0, `${rt.name}: ${r.stderr}${r.error ?? ''}`);
    assert.is(r.stdout, fx.gitStdout, 'prints the pack checksum as git index-pack does');
    const ours = readFileSync(out);
    assert.ok(ours.equals(fx.gitIdx), `.idx differs from git's (${ours.length} vs ${fx.gitIdx.length} bytes)`);
  });
}

test('a corrupt pack is refused with the offset where it breaks, under every runtime', () => {
  const d = mkdtempSync(join(fx.dir, '..', 'corrupt-'));
  const bad = Buffer.from(readFileSync(fx.pack));
  bad[bad.length >> 1] ^= 0x55; // inside some entry's zlib data, or its header
  const pack = join(d, 'bad.pack');
  writeFileSync(pack, bad);
  let ran = 0;
  for (const rt of runtimes) {
    const argv = rt.argv([pack, join(d, 'bad.idx')]);
    if (typeof argv === 'string') continue;
    const r = run(argv[0], argv[1], d);
    assert.is(r.status, 128, `${rt.name}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /fatal: .*bad\.pack: .*offset/, `${rt.name}: ${r.stderr}`);
    ran++;
  }
  assert.ok(ran >= 1);
});

test('dist/core/index.js has no Node-only import at top level (a browser can import it)', () => {
  const src = readFileSync(join(ROOT, 'dist', 'core', 'index.js'), 'utf8');
  const specifiers = [...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm), ...src.matchAll(/^\s*import\s*["']([^"']+)["']/gm)].map((m) => m[1]);
  assert.equal(specifiers.filter((s) => !s.startsWith('.')), [], 'static imports of built-in or bare modules');
  assert.not.match(src, /\brequire\(/);
});

test('wasmgit/core loads from bytes, a URL or a Module as well as by itself', async () => {
  const { loadCore, compileCore } = await import('../../host/core/index.ts');
  const wasm = readFileSync(join(ROOT, 'build', 'wasmgit.wasm'));
  const byBytes = await loadCore({ module: wasm });
  const byUrl = await loadCore({ module: pathToFileURL(join(ROOT, 'build', 'wasmgit.wasm')) });
  const byModule = await loadCore({ module: await compileCore() });
  for (const c of [byBytes, byUrl, byModule]) assert.type(c.exports.alloc, 'function');
  // Each instance has its own memory.
  assert.is.not(byBytes.exports.memory, byUrl.exports.memory);
  try {
    await loadCore({ module: new URL('file:///nonexistent/wasmgit.wasm') });
    assert.unreachable('loading a missing file must fail');
  } catch (err) {
    assert.match(String(err), /cannot load the core from file:\/\/\/nonexistent\/wasmgit\.wasm/);
  }
});

test('the worked example in docs/core-abi.md, run as written, writes git\'s .idx', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'core-abi.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Worked example'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'docs/core-abi.md has a js block under "## Worked example"');
  const d = mkdtempSync(join(fx.dir, '..', 'doc-'));
  mkdirSync(join(d, 'node_modules', 'wasmgit', 'build'), { recursive: true });
  copyFileSync(join(ROOT, 'build', 'wasmgit.wasm'), join(d, 'node_modules', 'wasmgit', 'build', 'wasmgit.wasm'));
  copyFileSync(fx.pack, join(d, 'pack-1234.pack'));
  writeFileSync(join(d, 'example.mjs'), code!);
  const r = run(process.execPath, ['example.mjs'], d);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+ objects indexed\n$/);
  assert.ok(readFileSync(join(d, 'pack-1234.idx')).equals(fx.gitIdx), 'the example\'s .idx is git\'s');
});

test.run();

// The package as users get it: `npm pack` holds the built wasm, the compiled host
// and type declarations, and nothing else; installed into an empty folder,
// `npx wasmgit --help` runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

test('version in host/version.ts matches package.json', async () => {
  const { VERSION } = await import('../host/version.ts');
  assert.is(VERSION, pkg.version);
});

test('npm pack holds the wasm, the compiled host and types, nothing else', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
  assert.ok(files.includes('build/wasmgit.wasm'), 'build/wasmgit.wasm is packed');
  assert.ok(files.includes('build/wasmgit-wasi.wasm'), 'the WASI command build/wasmgit-wasi.wasm is packed');
  assert.ok(files.includes('dist/cli/wasmgit.js'), 'the CLI is packed');
  assert.ok(files.includes('dist/api.d.ts'), 'type declarations are packed');
  assert.ok(files.includes('dist/core/index.js'), 'wasmgit/core is packed');
  const allowed = /^(package\.json|README\.md|LICENSE|build\/[\w.-]+\.wasm|dist\/.+\.(js|d\.ts))$/;
  const stray = files.filter((f) => !allowed.test(f));
  assert.equal(stray, [], `unexpected files in the package: ${stray.join(', ')}`);
  assert.not.ok(files.some((f) => f.startsWith('assembly/') || f.startsWith('host/') || f.startsWith('test/')));
});

test('installed from the tarball into an empty folder, npx wasmgit --help runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-pkg-'));
  try {
    const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
    execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(dir, tgz)], { cwd: dir, stdio: 'pipe' });
    const help = execFileSync('npx', ['--no-install', 'wasmgit', '--help'], { cwd: dir, encoding: 'utf8' });
    assert.match(help, /usage: wasmgit/);
    const version = execFileSync('npx', ['--no-install', 'wasmgit', '--version'], { cwd: dir, encoding: 'utf8' });
    assert.is(version.trim(), `wasmgit version ${pkg.version}`);
    // The library entries load from the installed package, wasm included, and
    // only the package's own: a build/ beside the package (here an npm package
    // of that name, holding something else) is no place to look.
    mkdirSync(join(dir, 'node_modules', 'build'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'build', 'wasmgit.wasm'), 'not the core');
    for (const entry of ['wasmgit/core', 'wasmgit']) {
      const probe = `import('${entry}').then(async (m) => { const c = await m.loadCore(); process.stdout.write(String(typeof c.exports.packResolveSome)); })`;
      const kind = execFileSync('node', ['--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8' });
      assert.is(kind, 'function', entry);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

// What the runtime suites share: a git-made pack with git's own .idx beside it,
// and the other JavaScript runtimes (Bun and Deno come from the npm registry as
// dev dependencies) with the reason when one cannot run here.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WASI_WASM = join(ROOT, 'build', 'wasmgit-wasi.wasm');
export const CORE_WASM = join(ROOT, 'build', 'wasmgit.wasm');
export const WASI_RUNNER = join(ROOT, 'examples', 'wasi', 'run.mjs');

export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'A U Thor', GIT_AUTHOR_EMAIL: 'author@example.com',
      GIT_COMMITTER_NAME: 'C O Mitter', GIT_COMMITTER_EMAIL: 'committer@example.com', ...env },
    maxBuffer: 1 << 28,
  });
}

/**
 * A repository with history worth indexing: edits that make delta chains,
 * a binary file, an empty file, a rename, nested directories, an annotated tag.
 * Commit dates increase by one minute per commit, so date order is total.
 */
export function makeRepo(dir: string, commits = 24): void {
  git(dir, ['init', '-q', '-b', 'main']);
  mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'empty'), '');
  let text = '';
  for (let i = 0; i < commits; i++) {
    text += `line ${i}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 5))}\n`;
    writeFileSync(join(dir, 'src', 'notes.txt'), text);
    writeFileSync(join(dir, 'src', 'lib', `mod${i % 4}.js`), `export const v = ${i};\n${text.slice(0, 200 * (i % 7))}`);
    const bin = Buffer.alloc(4096 + i * 64);
    for (let j = 0; j < bin.length; j++) bin[j] = (j * 31 + i * 7) & 0xff;
    writeFileSync(join(dir, 'data.bin'), bin);
    if (i === commits >> 1) git(dir, ['mv', 'empty', 'src/empty']);
    git(dir, ['add', '-A']);
    const date = `${1700000000 + i * 60} +0000`;
    git(dir, ['commit', '-q', '-m', `commit ${i}\n\nbody of commit ${i}`], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  }
  git(dir, ['tag', '-a', '-m', 'release', 'v1']);
}

export interface GitPack {
  dir: string;
  /** The pack copied to dir/sample.pack, with no .idx beside it. */
  pack: string;
  /** git index-pack's .idx for it and what it printed. */
  gitIdx: Buffer;
  gitStdout: string;
  repo: string;
  cleanup(): void;
}

/** Makes a repository, packs it with git, and indexes the pack with git for reference. */
export function makeGitPack(commits = 24): GitPack {
  const base = mkdtempSync(join(tmpdir(), 'wasmgit-rt-'));
  const repo = join(base, 'repo');
  mkdirSync(repo);
  makeRepo(repo, commits);
  git(repo, ['repack', '-adq', '--depth=50', '--window=50']);
  const packDir = join(repo, '.git', 'objects', 'pack');
  const name = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  const dir = join(base, 'work');
  mkdirSync(dir);
  const pack = join(dir, 'sample.pack');
  copyFileSync(join(packDir, name), pack);
  const gitStdout = git(dir, ['index-pack', '-o', join(base, 'git.idx'), pack]);
  const gitIdx = readFileSync(join(base, 'git.idx'));
  return { dir, pack, gitIdx, gitStdout, repo, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export interface Runtime {
  name: string;
  bin: string;
  /** Why it cannot run here, or null when it runs. */
  unavailable: string | null;
}

function probe(name: string, bin: string, args: string[]): Runtime {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { name, bin, unavailable: `${bin} cannot start (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); run npm ci` };
  if (r.status !== 0) return { name, bin, unavailable: `${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(0, 200)}` };
  return { name, bin, unavailable: null };
}

/** Bun from the `bun` npm package (a dev dependency). */
export function bun(): Runtime {
  return probe('bun', join(ROOT, 'node_modules', '.bin', 'bun'), ['--version']);
}

/** Deno from the `deno` npm package (a dev dependency). */
export function deno(): Runtime {
  return probe('deno', join(ROOT, 'node_modules', '.bin', 'deno'), ['--version']);
}

/** Runs a command; never throws on a non-zero exit. */
export function run(bin: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(bin, args, { cwd, encoding: 'buffer', timeout, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 });
  return {
    status: r.status,
    stdout: r.stdout?.toString('utf8') ?? '',
    stderr: r.stderr?.toString('utf8') ?? '',
    error: r.error,
  };
}

/**
 * A pack of about 4 * `commits` objects made quickly with git fast-import (one
 * file edited per commit; fast-import's own deltas), written to dir/<name>.pack
 * with git's .idx beside it as dir/<name>.idx.
 */
export function makeFastImportPack(dir: string, name: string, commits: number): void {
  const repo = join(dir, `${name}-repo`);
  mkdirSync(repo, { recursive: true });
  git(repo, ['init', '-q']);
  let s = '';
  for (let c = 0; c < commits; c++) {
    const msg = `change ${c}`;
    s += `commit refs/heads/main\nmark :${c + 1}\ncommitter C <c@example.com> ${1600000000 + c * 60} +0000\ndata ${msg.length}\n${msg}\n`;
    if (c) s += `from :${c}\n`;
    const text = `line ${c}\n`.repeat(20 + (c % 50));
    s += `M 100644 inline d${c % 20}/f${c % 200}.txt\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: s, maxBuffer: 1 << 28 });
  const packDir = join(repo, '.git', 'objects', 'pack');
  const pack = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  copyFileSync(join(packDir, pack), join(dir, `${name}.pack`));
  git(dir, ['index-pack', `${name}.pack`]);
  rmSync(repo, { recursive: true, force: true });
}

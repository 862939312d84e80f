// npm run bench:index-pack [-- --objects N] [--runs N] [--large]
//
// git index-pack against wasmgit index-pack (the bundled CLI in dist/), on the
// same pack, at the same thread counts (1 and all cores), measured in the same
// run: wall time (best of --runs), the ratio wasmgit/git, peak RSS, and peak private memory (bench/proc-memory.ts). Both
// indexes are compared byte for byte before any figure is printed.
//
// The pack (>= 200k objects by default) comes from a history generated with
// git fast-import, many commits making small edits to many files, repacked by
// git with its defaults (window 10, depth 50), and is cached in bench/.work/.
//
// --large (or WASMGIT_LARGE_BENCH=1) also builds a pack over 4 GiB of random,
// incompressible blobs and reports time and peak RSS on it (target: < 512 MiB).
import { spawn, spawnSync } from 'node:child_process';
import { watchPrivateMemory } from './proc-memory.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitIdentityEnv } from '../test/helpers/git.ts';
import { makeRandomBlobPack, prng } from '../test/helpers/history.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'bench', '.work', 'index-pack');
const cli = join(root, 'dist', 'cli', 'wasmgit.js');

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const targetObjects = arg('objects', 200_000);
const runs = arg('runs', 3);
const large = args.includes('--large') || process.env.WASMGIT_LARGE_BENCH === '1';
const cores = availableParallelism();

const env = gitIdentityEnv;

function git(cwd: string, a: string[]): string {
  const r = spawnSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Streams a fast-import script into a new bare repository at `dir`. */
async function fastImport(dir: string, extra: string[], write: (emit: (b: string | Buffer) => Promise<void>) => Promise<void>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '--bare', '-b', 'main', '.']);
  const child = spawn('git', [...extra, 'fast-import', '--quiet', '--big-file-threshold=1m'], { cwd: dir, env, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => child.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`fast-import exited ${c}`)))));
  const emit = (b: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (child.stdin.write(b)) resolve();
      else child.stdin.once('drain', resolve);
    });
  await write(emit);
  child.stdin.end();
  await done;
}

/** Many files in nested directories, many commits each editing two of them. */
async function makeHistoryPack(dir: string, objects: number): Promise<string> {
  const rand = prng(42);
  const pick = (n: number) => Math.floor(rand() * n);
  const words = ['int', 'return', 'static', 'void', 'struct', 'if', 'else', 'for', 'while', 'const', 'char', 'size_t', 'buf', 'len', 'ptr'];
  const line = () => Array.from({ length: 2 + pick(9) }, () => words[pick(words.length)]).join(' ') + ';';
  const fileCount = 3000;
  const files = Array.from({ length: fileCount }, (_, i) => ({
    path: `lib${i % 40}/mod${(i >> 6) % 8}/file${i}.c`,
    lines: Array.from({ length: 20 + pick(120) }, line),
  }));
  // Each commit adds ~8 objects: itself, 2 blobs, the root tree and 2 x 2 subtrees.
  const commits = Math.ceil((objects - fileCount * 1.2) / 7.5);
  let when = 1_600_000_000;
  await fastImport(dir, [], async (emit) => {
    const data = async (s: string) => {
      const b = Buffer.from(s);
      await emit(`data ${b.length}\n`);
      await emit(b);
      await emit('\n');
    };
    await emit(`commit refs/heads/main\ncommitter C O Mitter <committer@example.com> ${when++} +0000\n`);
    await data('initial\n');
    for (const f of files) {
      await emit(`M 100644 inline ${f.path}\n`);
      await data(f.lines.join('\n') + '\n');
    }
    for (let c = 1; c < commits; c++) {
      await emit(`commit refs/heads/main\ncommitter C O Mitter <committer@example.com> ${when++} +0000\n`);
      await data(`change ${c}\n`);
      for (let k = 0; k < 2; k++) {
        const f = files[pick(fileCount)];
        for (let j = 1 + pick(3); j > 0; j--) {
          const at = pick(f.lines.length);
          if (rand() < 0.5) f.lines[at] = line();
          else f.lines.splice(at, 0, line());
        }
        await emit(`M 100644 inline ${f.path}\n`);
        await data(f.lines.join('\n') + '\n');
      }
    }
  });
  // As a server would send it: git's default window and depth.
  git(dir, ['repack', '-adfq', '--depth=50', '--window=10']);
  return packIn(dir);
}

function packIn(dir: string): string {
  const packDir = join(dir, 'objects', 'pack');
  const pack = readdirSync(packDir).find((f) => f.endsWith('.pack'));
  if (!pack) throw new Error(`no pack in ${packDir}`);
  return join(packDir, pack);
}

interface Measure {
  seconds: number;
  /** user + system CPU seconds (all threads). */
  cpu: number;
  rssKiB: number;
  /** Peak private (anonymous) memory, polled from /proc. */
  anonKiB: number;
}

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * Runs a command: wall time, CPU time and peak RSS, from GNU time (%U %S %M),
 * else from getrusage via /proc polling (VmHWM; CPU time then not reported).
 */
async function measure(cmd: string, argv: string[]): Promise<Measure> {
  if (timeBin) {
    const t0 = performance.now();
    const child = spawn(timeBin, ['-f', '%U %S %M', cmd, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const watch = watchPrivateMemory(child.pid!);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    const anonKiB = watch.stop();
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${stderr}`);
    const [user, sys, rss] = stderr.trim().split('\n').pop()!.split(' ').map(Number);
    return { seconds, cpu: user + sys, rssKiB: rss, anonKiB };
  }
  const t0 = performance.now();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const watch = watchPrivateMemory(child.pid!);
  let hwm = 0;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) hwm = Math.max(hwm, Number(m[1]));
    } catch {
      // exited
    }
  }, 20);
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  clearInterval(poll);
  const anonKiB = watch.stop();
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${stderr}`);
  return { seconds: (performance.now() - t0) / 1000, cpu: NaN, rssKiB: hwm, anonKiB };
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

async function compare(pack: string, threadCounts: number[], label: string, runs: number): Promise<void> {
  const size = statSync(pack).size;
  const objects = Number(/in-pack: (\d+)/.exec(git(join(pack, '..', '..', '..'), ['count-objects', '-v']))![1]);
  console.log(`\n${label}: ${objects} objects, ${(size / 2 ** 20).toFixed(1)} MiB (${pack})`);
  const gitIdx = join(work, 'git.idx');
  const ourIdx = join(work, 'wasmgit.idx');
  const rows: string[] = [];
  const best = (a: Measure | null, b: Measure): Measure =>
    !a ? b : { seconds: Math.min(a.seconds, b.seconds), cpu: Math.min(a.cpu, b.cpu), rssKiB: Math.max(a.rssKiB, b.rssKiB), anonKiB: Math.max(a.anonKiB, b.anonKiB) };
  for (const threads of threadCounts) {
    let g: Measure | null = null;
    let w: Measure | null = null;
    for (let r = 0; r < runs; r++) {
      // Alternate, so neither side always runs on a warmer cache.
      const gm = await measure('git', ['index-pack', `--threads=${threads}`, '-o', gitIdx, pack]);
      const wm = await measure(process.execPath, [cli, 'index-pack', '--threads', String(threads), '-o', ourIdx, pack]);
      if (!readFileSync(gitIdx).equals(readFileSync(ourIdx))) throw new Error(`the indexes differ (threads ${threads})`);
      g = best(g, gm);
      w = best(w, wm);
    }
    const f = (x: number) => x.toFixed(2);
    rows.push(
      `| ${threads} | ${f(g!.seconds)} s | ${f(w!.seconds)} s | **${f(w!.seconds / g!.seconds)}** | ${f(g!.cpu)} s | ${f(w!.cpu)} s | ${f(w!.cpu / g!.cpu)} | ${mib(g!.rssKiB)} | ${mib(w!.rssKiB)} | ${f(w!.rssKiB / g!.rssKiB)} | ${mib(g!.anonKiB)} | ${mib(w!.anonKiB)} | ${f(w!.anonKiB / g!.anonKiB)} |`,
    );
  }
  console.log(`(best of ${runs} runs for times, highest for RSS; the two .idx files identical in every run)\n`);
  console.log('| threads | git wall | wasmgit wall | wall ratio | git CPU | wasmgit CPU | CPU ratio | git peak RSS | wasmgit peak RSS | RSS ratio | git private | wasmgit private | private ratio |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log(`\nload average while measuring: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${cores} cores (wall times are only comparable on an idle machine; CPU times hold up better under load)`);
}

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error('dist/cli/wasmgit.js not found: run `npm run build` first');
  mkdirSync(work, { recursive: true });
  console.log(`git ${git(work, ['--version']).trim().replace(/^git version /, '')}, node ${process.version}, ${cores} cores${timeBin ? '' : ' (no /usr/bin/time: peak RSS polled from /proc)'}`);
  const histDir = join(work, `history-${targetObjects}`);
  if (!existsSync(join(histDir, 'objects', 'pack')) || !readdirSync(join(histDir, 'objects', 'pack')).some((f) => f.endsWith('.idx'))) {
    rmSync(histDir, { recursive: true, force: true });
    console.log(`generating a history of about ${targetObjects} objects in ${histDir} (cached for later runs)...`);
    const t0 = performance.now();
    await makeHistoryPack(histDir, targetObjects);
    console.log(`  done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  await compare(packIn(histDir), [...new Set([1, cores])], 'history pack', runs);

  if (large) {
    const largeDir = join(work, 'large');
    if (!existsSync(join(largeDir, 'objects', 'pack')) || !readdirSync(join(largeDir, 'objects', 'pack')).some((f) => f.endsWith('.idx'))) {
      rmSync(largeDir, { recursive: true, force: true });
      console.log(`\ngenerating a pack of over 4 GiB of random blobs in ${largeDir}...`);
      await makeRandomBlobPack(largeDir, 4.2 * 2 ** 30);
    }
    await compare(packIn(largeDir), [...new Set([1, cores])], 'pack over 4 GiB (target: wasmgit peak RSS < 512 MiB)', 1);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

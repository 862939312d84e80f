// npm run bench:clone [-- [10k] [100k] [500k] [20k-files] [20k-tags] [<url>...] [--runs N] [--without <tool>] [--into <dir>] [--node <binary>]]
//
// wasmgit clone vs git clone vs isomorphic-git's clone, from the same loopback
// smart-HTTP server (git http-backend, test/helpers/servers.ts), measured in
// the same run: wall time (best of --runs, default 1) and peak RSS of the
// largest process (GNU time's "Maximum resident set size"; git clone's is its
// index-pack). Generated repositories (~10k, 100k, 500k objects: a history of
// commits editing files in a two-level tree, so the pack is full of deltas)
// are cached in bench/.work/. Two more shapes stress what the object count
// does not: `20k-files` is one commit of 20,000 files in 1,400 directories (the
// checkout), `20k-tags` is 2,000 commits with 20,000 tags (the refs). Any URL given is cloned the same way (from its
// own server, not the loopback one). wasmgit runs under Node, and the same
// bundle under Bun and Deno (the dev dependencies' binaries) and under each
// Node binary given with `--node <path>` (repeatable; e.g. a newer release). `--without
// isomorphic-git` (repeatable; also git, wasmgit, wasmgit-bun, wasmgit-deno) leaves a tool out, e.g. to re-run a size whose
// isomorphic-git run takes many minutes. `--into <dir>` makes the clones there
// instead of in bench/.work/clones: on a disk whose file creation is slow and
// erratic, a tmpfs (`--into /dev/shm/wasmgit-bench`) compares the tools' own
// work rather than the disk's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttpServer } from '../test/helpers/servers.ts';
import { watchPrivateMemory } from './proc-memory.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'bench', '.work');
const cli = join(root, 'dist', 'cli', 'wasmgit.js');
const isoRunner = join(root, 'bench', 'clone-isogit.mjs');
const TIMEOUT_MS = Number(process.env.BENCH_CLONE_TIMEOUT_MS ?? 20 * 60 * 1000);

const SIZES: Record<string, number> = { '10k': 10_000, '100k': 100_000, '500k': 500_000 };
const SHAPES: Record<string, { label: string; make(): Buffer }> = {
  '20k-files': {
    label: '20k files, one commit',
    make() {
      const parts: Buffer[] = [];
      const lines: string[] = [];
      for (let i = 0; i < 20_000; i++) {
        const data = Buffer.from(`file ${i}\n${'content line\n'.repeat(i % 40)}`);
        parts.push(Buffer.from(`blob\nmark :${i + 1}\ndata ${data.length}\n`), data, Buffer.from('\n'));
        lines.push(`M 100644 :${i + 1} dir${i % 200}/sub${i % 7}/file${i}.txt`);
      }
      parts.push(Buffer.from(`commit refs/heads/main\ncommitter Bench <bench@example.com> 1600000000 +0000\ndata 10\nmany files\n${lines.join('\n')}\n\n`));
      return Buffer.concat(parts);
    },
  },
  '20k-tags': {
    label: '20k tags, 2k commits',
    make() {
      const parts: string[] = [];
      for (let c = 0; c < 2_000; c++) {
        const data = `version ${c}\n`;
        parts.push(`commit refs/heads/main\nmark :${c + 1}\ncommitter Bench <bench@example.com> ${1_600_000_000 + c * 60} +0000\ndata 9\ncommit ${c % 10}\nM 100644 inline f.txt\ndata ${data.length}\n${data}\n`);
      }
      for (let i = 0; i < 20_000; i++) parts.push(`reset refs/tags/t${i}\nfrom :${(i % 2_000) + 1}\n\n`);
      return Buffer.from(parts.join(''));
    },
  },
};

/** A bare repository of one of SHAPES, made once with git fast-import. */
async function shaped(name: string): Promise<string> {
  const repo = join(work, `${name}.git`);
  if (existsSync(join(repo, 'bench-complete'))) return repo;
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await sh('git', ['init', '-q', '--bare', '-b', 'main', repo], work);
  process.stderr.write(`generating ${name}...\n`);
  await sh('git', ['fast-import', '--quiet'], repo, SHAPES[name].make());
  await sh('git', ['pack-refs', '--all'], repo);
  await sh('git', ['repack', '-a', '-d', '-q'], repo);
  writeFileSync(join(repo, 'bench-complete'), '');
  return repo;
}

function sh(cmd: string, args: string[], cwd: string, input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
    if (input) c.stdin!.end(input);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/** A bare repository of about `objects` objects, made once with git fast-import and repacked with deltas. */
async function generated(name: string, objects: number): Promise<string> {
  const repo = join(work, `${name}.git`);
  if (existsSync(join(repo, 'bench-complete'))) return repo;
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await sh('git', ['init', '-q', '--bare', '-b', 'main', repo], work);
  // Each commit edits 3 files of 400 (in 20 directories): 1 commit + 3 blobs + 4 trees = 8 objects.
  const commits = Math.max(1, Math.round(objects / 8));
  const files: string[][] = Array.from({ length: 400 }, (_, i) => Array.from({ length: 60 }, (_, j) => `file ${i} line ${j} ${'x'.repeat((i * 7 + j) % 50)}`));
  const parts: Buffer[] = [];
  let mark = 0;
  let t = 1_600_000_000;
  const first: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const data = Buffer.from(files[i].join('\n') + '\n');
    parts.push(Buffer.from(`blob\nmark :${++mark}\ndata ${data.length}\n`), data, Buffer.from('\n'));
    first.push(`M 100644 :${mark} d${i % 20}/f${i}.txt`);
  }
  const commit = (changes: string[], msg: string) => {
    const m = Buffer.from(msg);
    t += 60;
    parts.push(Buffer.from(`commit refs/heads/main\nmark :${++mark}\ncommitter Bench <bench@example.com> ${t} +0000\ndata ${m.length}\n${msg}\n${changes.join('\n')}\n\n`));
  };
  commit(first, 'initial');
  for (let c = 1; c < commits; c++) {
    const changes: string[] = [];
    for (let k = 0; k < 3; k++) {
      const i = (c * 131 + k * 17) % files.length;
      files[i][(c + k) % files[i].length] = `edited by commit ${c}`;
      const data = Buffer.from(files[i].join('\n') + '\n');
      parts.push(Buffer.from(`blob\nmark :${++mark}\ndata ${data.length}\n`), data, Buffer.from('\n'));
      changes.push(`M 100644 :${mark} d${i % 20}/f${i}.txt`);
    }
    commit(changes, `commit ${c}`);
    if (c % 5000 === 0) parts.push(Buffer.from(`tag v${c}\nfrom refs/heads/main\ntagger Bench <bench@example.com> ${t} +0000\ndata 4\ntag\n\n`));
  }
  process.stderr.write(`generating ${name} (${commits} commits)...\n`);
  await sh('git', ['fast-import', '--quiet'], repo, Buffer.concat(parts));
  await sh('git', ['repack', '-a', '-d', '-q', '--window=10', '--depth=50'], repo);
  writeFileSync(join(repo, 'bench-complete'), '');
  return repo;
}

interface Run {
  ms: number;
  rssKiB: number;
  /** Peak of the process tree's anonymous (private) resident memory, summed over its processes. */
  anonKiB: number;
  ok: boolean;
  note?: string;
}

/** Runs a command under GNU time; returns wall time and the peak RSS it reports. */
function measure(cmd: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const c = spawn('/usr/bin/time', ['-f', 'MAXRSS %M', ...cmd], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), TIMEOUT_MS);
    const watch = watchPrivateMemory(c.pid!);
    c.on('close', (code) => {
      clearTimeout(timer);
      const anon = watch.stop();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const m = /MAXRSS (\d+)/.exec(err);
      resolve({ ms, rssKiB: m ? Number(m[1]) : 0, anonKiB: anon, ok: code === 0, note: code === 0 ? undefined : code === null ? 'killed (timeout)' : err.split('\n').filter((l) => l && !l.startsWith('MAXRSS') && !l.startsWith('Command')).slice(-1)[0] });
    });
  });
}

const bunBin = join(root, 'node_modules', '.bin', 'bun');
const denoBin = join(root, 'node_modules', '.bin', 'deno');

/** `key` is what --without takes; a runtime whose binary is missing is left out with a note. */
const TOOLS: { key: string; name: string; bin?: string; cmd(url: string, dir: string): string[] }[] = [
  { key: 'git', name: 'git clone', cmd: (url, dir) => ['git', 'clone', '-q', url, dir] },
  { key: 'wasmgit', name: 'wasmgit clone', cmd: (url, dir) => [process.execPath, cli, 'clone', '-q', url, dir] },
  // The same bundle under the other runtimes, as `bunx wasmgit` and `deno run -A npm:wasmgit` run it.
  { key: 'wasmgit-bun', name: 'wasmgit clone (Bun)', bin: bunBin, cmd: (url, dir) => [bunBin, cli, 'clone', '-q', url, dir] },
  { key: 'wasmgit-deno', name: 'wasmgit clone (Deno)', bin: denoBin, cmd: (url, dir) => [denoBin, 'run', '-A', cli, 'clone', '-q', url, dir] },
  { key: 'isomorphic-git', name: 'isomorphic-git clone', cmd: (url, dir) => [process.execPath, isoRunner, url, dir] },
];

let clonesDir = join(work, 'clones');

async function bench(label: string, url: string, runs: number, tools: typeof TOOLS): Promise<void> {
  const results = new Map<string, Run>();
  // The tools take turns within each run, so a change in the machine's load falls on all of them.
  const loadBefore = loadavg();
  for (let r = 0; r < runs; r++) {
    for (const tool of tools) {
      const dir = join(clonesDir, `${tool.key}-${label.replace(/[^\w.-]+/g, '_')}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(clonesDir, { recursive: true });
      const run = await measure(tool.cmd(url, dir), work);
      rmSync(dir, { recursive: true, force: true });
      const best = results.get(tool.name);
      if (!best || (run.ok && (!best.ok || run.ms < best.ms))) results.set(tool.name, { ...run, rssKiB: Math.max(run.rssKiB, best?.rssKiB ?? 0), anonKiB: Math.max(run.anonKiB, best?.anonKiB ?? 0) });
      else results.set(tool.name, { ...best, rssKiB: Math.max(run.rssKiB, best.rssKiB), anonKiB: Math.max(run.anonKiB, best.anonKiB) });
    }
  }
  const git = results.get('git clone');
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\n${label}  (${url}; best of ${runs}; load average ${load(loadBefore)} before, ${load(loadavg())} after)`);
  console.log('| tool | wall | vs git | peak RSS | vs git | peak private memory | vs git |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const tool of tools) {
    const r = results.get(tool.name)!;
    const wall = r.ok ? `${(r.ms / 1000).toFixed(2)} s` : `failed: ${r.note}`;
    console.log(`| ${tool.name} | ${wall} | ${r.ok && git?.ok ? `${(r.ms / git.ms).toFixed(2)}×` : '-'} | ${(r.rssKiB / 1024).toFixed(0)} MiB | ${git?.rssKiB ? `${(r.rssKiB / git.rssKiB).toFixed(2)}×` : '-'} | ${(r.anonKiB / 1024).toFixed(0)} MiB | ${git?.anonKiB ? `${(r.anonKiB / git.anonKiB).toFixed(2)}×` : '-'} |`);
  }
  const w = results.get('wasmgit clone');
  const iso = results.get('isomorphic-git clone');
  if (w?.ok && iso?.ok) console.log(`isomorphic-git / wasmgit wall time: ${(iso.ms / w.ms).toFixed(1)}×`);
  for (const tool of tools) {
    const rt = /^wasmgit clone \((.+)\)$/.exec(tool.name)?.[1];
    const o = results.get(tool.name);
    if (rt && w?.ok && o?.ok) console.log(`wasmgit under ${rt} / under Node ${process.version}: wall ${(o.ms / w.ms).toFixed(2)}×, peak RSS ${(o.rssKiB / w.rssKiB).toFixed(2)}×`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let runs = 1;
  const sizes: string[] = [];
  const shapes: string[] = [];
  const urls: string[] = [];
  const without = new Set<string>();
  const nodes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Number(args[++i]);
    else if (args[i] === '--without') without.add(args[++i]);
    else if (args[i] === '--into') clonesDir = resolve(args[++i]);
    else if (args[i] === '--node') nodes.push(resolve(args[++i]));
    else if (SIZES[args[i]]) sizes.push(args[i]);
    else if (SHAPES[args[i]]) shapes.push(args[i]);
    else urls.push(args[i]);
  }
  if (!sizes.length && !shapes.length && !urls.length) sizes.push(...Object.keys(SIZES)), shapes.push(...Object.keys(SHAPES));
  for (const key of without) if (!TOOLS.some((t) => t.key === key)) throw new Error(`--without ${key}: no such tool (${TOOLS.map((t) => t.key).join(', ')})`);
  const tools = TOOLS.filter((t) => !without.has(t.key));
  for (const t of tools.filter((t) => t.bin && !existsSync(t.bin))) {
    process.stderr.write(`leaving out ${t.name}: ${t.bin} is missing (npm ci installs it)\n`);
    tools.splice(tools.indexOf(t), 1);
  }
  // --node <binary>: the command also under another Node (e.g. a newer release), right after the default one.
  for (const bin of nodes.reverse()) {
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (!version) throw new Error(`--node ${bin}: does not run`);
    const key = `wasmgit-node-${version}`;
    tools.splice(tools.findIndex((t) => t.key === 'wasmgit') + 1, 0, { key, name: `wasmgit clone (Node ${version})`, bin, cmd: (url, dir) => [bin, cli, 'clone', '-q', url, dir] });
  }
  if (!existsSync(cli)) throw new Error('dist/cli/wasmgit.js is missing: run `npm run build` first');
  const server = await startHttpServer({ root: work });
  try {
    for (const s of sizes) {
      const repo = await generated(`gen-${s}`, SIZES[s]);
      await bench(`${s} objects`, server.url(`${repo.split('/').pop()}`), runs, tools);
    }
    for (const s of shapes) {
      const repo = await shaped(s);
      await bench(SHAPES[s].label, server.url(`${repo.split('/').pop()}`), runs, tools);
    }
    for (const url of urls) await bench(url, url, runs, tools);
  } finally {
    await server.close();
  }
}

await main();

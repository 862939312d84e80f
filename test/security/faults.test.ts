// Faults on this side of the connection: the disk filling up while the pack is
// written and while files are checked out (a small tmpfs, mounted when the
// tests run as root), and a clone stopped in each of its phases. Each must end
// in a clear error and leave no partial repository behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clone, type CloneEvent } from '../../host/clone.ts';
import { AbortError } from '../../host/errors.ts';
import { indexPackFile } from '../../host/pack/index-pack.ts';
import { gitEnv, tempDir } from '../helpers/git.ts';
import { skipWithReason } from '../helpers/skip.ts';
import { fakeSshEnv, startGitDaemon, startHttpServer, type GitDaemon, type HttpServer } from '../helpers/servers.ts';
import { runWasmgit } from './tamper.ts';

let base: { dir: string; cleanup(): void };
let server: HttpServer;
let daemon: GitDaemon;
const sshEnv = fakeSshEnv(gitEnv);
let work: string;

function git(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: gitEnv, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** A served repository with one commit of `files` (path → content), plus history for deltas. */
function served(name: string, files: Record<string, string | Buffer>, history = 0): void {
  const src = join(base.dir, `src-${name}`);
  mkdirSync(src);
  git(src, ['init', '-q', '-b', 'main', '.']);
  for (let i = 0; i <= history; i++) {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), i === history ? content : `${content.toString().slice(0, 5000)}\nrevision ${i}\n`);
    }
    git(src, ['add', '-A']);
    git(src, ['commit', '-q', '-m', `commit ${i}`]);
  }
  git(base.dir, ['clone', '-q', '--bare', src, join(base.dir, 'root', `${name}.git`)]);
}

test.before(async () => {
  base = tempDir('faults');
  work = join(base.dir, 'work');
  mkdirSync(work);
  mkdirSync(join(base.dir, 'root'));
  // Incompressible: its pack does not fit a 1 MiB disk.
  served('bigpack', { 'random.bin': randomBytes(3 << 20) });
  // Zeros: a pack of a few KiB whose checkout does not fit.
  served('bigtree', { 'a.txt': 'small\n', 'zeros/one.bin': Buffer.alloc(3 << 20), 'zeros/two.bin': Buffer.alloc(3 << 20, 1) });
  // Text with history: deltas to resolve, files to check out.
  const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} of a file that changes between commits`).join('\n');
  served('history', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`dir${i % 4}/file${i}.txt`, `${lines}\nfile ${i}\n`])), 3);
  manyDeltas(join(base.dir, 'root', 'steps.git'));
  server = await startHttpServer({ root: join(base.dir, 'root') });
  daemon = await startGitDaemon({ root: join(base.dir, 'root') });
});

/**
 * A repository whose clone takes several steps in each long phase: 3000
 * commits each editing one of 300 files (about 6000 deltas, several resolution
 * steps) and 300 files to check out (several checkout turns).
 */
function manyDeltas(repo: string): void {
  git(base.dir, ['init', '-q', '--bare', '-b', 'main', repo]);
  const files = Array.from({ length: 300 }, (_, i) => Array.from({ length: 40 }, (_, j) => `file ${i} line ${j}`));
  const parts: string[] = [];
  const blob = (i: number) => {
    const data = files[i].join('\n') + '\n';
    parts.push(`M 100644 inline d${i % 10}/f${i}.txt\ndata ${Buffer.byteLength(data)}\n${data}`);
  };
  for (let c = 0; c < 3000; c++) {
    parts.push(`commit refs/heads/main\ncommitter T <t@example.com> ${1_600_000_000 + c * 60} +0000\ndata 9\ncommit ${String(c % 10)}\n`);
    if (c === 0) for (let i = 0; i < files.length; i++) blob(i);
    else {
      const i = (c * 7) % files.length;
      files[i][c % 40] = `edited by commit ${c}`;
      blob(i);
    }
    parts.push('');
  }
  git(repo, ['fast-import', '--quiet'], parts.join('\n'));
  git(repo, ['repack', '-a', '-d', '-q', '--depth=50']);
}

test.after(async () => {
  await server.close();
  await daemon.close();
  base.cleanup();
});

/** Whether a tmpfs can be mounted here (root, and a kernel that lets us): the reason when not. */
function mountProblem(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = tempDir('tmpfs-probe');
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe.dir], { encoding: 'utf8' });
    if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
    spawnSync('umount', [probe.dir]);
    return null;
  } finally {
    probe.cleanup();
  }
}

/** A 1 MiB disk: a tmpfs mounted at a new directory. */
function smallDisk(name: string): { dir: string; unmount(): void } {
  const dir = join(base.dir, `disk-${name}`);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  assert.is(r.status, 0, `mount: ${r.stderr}`);
  return { dir, unmount: () => void spawnSync('umount', [dir]) };
}

const noMount = mountProblem();
// Each transport: the pack arrives from an HTTP response, from upload-pack's
// stdout (file://), or from the local transport's own reads.
const transports: [string, (repo: string) => string][] = [
  ['smart HTTP', (repo) => server.url(`${repo}.git`)],
  ['git://', (repo) => daemon.url(`${repo}.git`)],
  ['ssh', (repo) => `git.example.org:${join(base.dir, 'root', `${repo}.git`)}`],
  ['file://', (repo) => `file://${join(base.dir, 'root', `${repo}.git`)}`],
  ['a local path', (repo) => join(base.dir, 'root', `${repo}.git`)],
];
for (const [what, repo] of [['writing the pack', 'bigpack'], ['checking out', 'bigtree']] as const)
for (const [via, url] of transports) {
  const name = `disk full while ${what}, over ${via}: exit 128 with the system's message, nothing left on the disk`;
  if (noMount) {
    skipWithReason(test, name, noMount);
    continue;
  }
  test(name, async () => {
    const disk = smallDisk(`${repo}-${via.replace(/\W+/g, '')}`);
    try {
      const r = await runWasmgit(['clone', url(repo), join(disk.dir, 'clone')], work, sshEnv);
      assert.is(r.code, 128, r.stderr);
      // git's words for it (write_or_die): "fatal: write error: No space left on device".
      assert.match(r.stderr, /^fatal: write error: No space left on device$/m);
      assert.not.ok(r.stderr.includes('    at '), `no stack trace: ${r.stderr}`);
      assert.equal(readdirSync(disk.dir), [], 'nothing left on the full disk');
      console.log(`  ${repo} over ${via}: ${r.stderr.split('\n').find((l) => l.startsWith('fatal:'))}`);
    } finally {
      disk.unmount();
    }
  });
}

for (const phase of ['receiving', 'resolving', 'checkout'] as const) {
  test(`a clone stopped while ${phase}: AbortError, no directory left`, async () => {
    const controller = new AbortController();
    const target = join(work, `abort-${phase}`);
    const seen: string[] = [];
    let stoppedAt = '';
    const onProgress = (e: CloneEvent) => {
      seen.push(e.phase);
      if (e.phase === phase && !controller.signal.aborted) {
        stoppedAt = e.phase;
        controller.abort(new AbortError(`stopped while ${phase}`));
      }
    };
    let failure: unknown = null;
    try {
      await clone({ repository: server.url('history.git'), directory: target, signal: controller.signal, onProgress, env: gitEnv });
    } catch (e) {
      failure = e;
    }
    assert.is(stoppedAt, phase, `the clone reached ${phase} (phases seen: ${[...new Set(seen)].join(', ')})`);
    assert.instance(failure, AbortError, `the clone ended with an AbortError: ${failure}`);
    assert.not.ok(existsSync(target), 'the partial clone is removed');
  });
}

// A signal handler (SIGINT, SIGTERM in the CLI) or a timer runs only when the
// event loop gets a turn: long phases must give it one every few steps, or an
// interrupt waits for the whole phase. Here the abort comes from a callback
// queued on the event loop, as a signal handler's would be, not from inside
// the progress callback.
for (const phase of ['resolving', 'checkout'] as const) {
  test(`an abort queued on the event loop stops ${phase} part-way`, async () => {
    const controller = new AbortController();
    const target = join(work, `queued-abort-${phase}`);
    let queued = false;
    let done = 0;
    let total = 0;
    const onProgress = (e: CloneEvent) => {
      if (e.phase !== phase) return;
      done = Math.max(done, e.done);
      total = e.total;
      if (!queued) {
        queued = true;
        setImmediate(() => controller.abort(new AbortError(`stopped while ${phase}`)));
      }
    };
    let failure: unknown = null;
    try {
      await clone({ repository: server.url('steps.git'), directory: target, signal: controller.signal, onProgress, env: gitEnv });
    } catch (e) {
      failure = e;
    }
    assert.ok(queued, `the clone reached ${phase}`);
    assert.instance(failure, AbortError, `the clone ended with an AbortError: ${failure}`);
    assert.ok(total > 0 && done < total, `${phase} stopped part-way (${done} of ${total})`);
    assert.not.ok(existsSync(target), 'the partial clone is removed');
  });
}

test('index-pack on two threads: an abort queued on the event loop stops resolution part-way', async () => {
  const packDir = join(base.dir, 'root', 'steps.git', 'objects', 'pack');
  const pack = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.pack'))!);
  const controller = new AbortController();
  let done = 0;
  let total = 0;
  let failure: unknown = null;
  try {
    await indexPackFile(pack, {
      threads: 2,
      signal: controller.signal,
      onProgress: (phase, d, t) => {
        if (phase !== 'resolving') return;
        if (total === 0) setImmediate(() => controller.abort(new AbortError('stopped')));
        done = Math.max(done, d);
        total = t;
      },
    });
  } catch (e) {
    failure = e;
  }
  assert.instance(failure, AbortError, `index-pack ended with the abort: ${failure}`);
  assert.ok(total > 0 && done < total, `resolution stopped part-way (${done} of ${total})`);
});

test.run();

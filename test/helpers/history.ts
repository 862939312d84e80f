// Test repositories with history, made fast with `git fast-import`: many commits
// editing the same files (so a repack chains deltas deep), binary files, renames,
// empty files, nested trees, an annotated tag, and optionally big files.
// Deterministic: the same options give the same objects.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitEnv } from './git.ts';

export interface HistoryOptions {
  commits: number;
  /** Text files edited along the way. */
  textFiles?: number;
  /** Binary files (random bytes, edited in place). */
  binaryFiles?: number;
  /** Size in bytes of one big random file, added then edited once (0 = none). */
  bigFile?: number;
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytesFrom(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) b.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  for (; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** Creates a bare repository in `dir` holding the generated history on refs/heads/main. */
export function makeHistory(dir: string, opts: HistoryOptions): void {
  const rand = prng(opts.seed ?? 1);
  const pick = (n: number) => Math.floor(rand() * n);
  git(dir, ['init', '-q', '--bare', '-b', 'main', '.']);
  const chunks: Buffer[] = [];
  const emit = (s: string | Buffer) => chunks.push(typeof s === 'string' ? Buffer.from(s) : s);
  const data = (content: Buffer) => {
    emit(`data ${content.length}\n`);
    emit(content);
    emit('\n');
  };
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
  const line = () => Array.from({ length: 3 + pick(8) }, () => words[pick(words.length)]).join(' ');

  const text: { path: string; lines: string[] }[] = [];
  for (let i = 0; i < (opts.textFiles ?? 8); i++) {
    text.push({ path: `src/dir${i % 3}/file${i}.txt`, lines: Array.from({ length: 80 + pick(200) }, line) });
  }
  const bins: { path: string; bytes: Buffer }[] = [];
  for (let i = 0; i < (opts.binaryFiles ?? 2); i++) bins.push({ path: `bin/blob${i}.bin`, bytes: randomBytesFrom(rand, 4096 + pick(40000)) });

  let when = 1_600_000_000;
  let first = true;
  const commit = (msg: string, changes: string[]) => {
    emit(`commit refs/heads/main\ncommitter C O Mitter <committer@example.com> ${when++} +0000\n`);
    data(Buffer.from(msg));
    if (first) first = false;
    for (const c of changes) emit(c);
  };
  const modify = (path: string, content: Buffer) => {
    emit(`M 100644 inline ${path}\n`);
    data(content);
    return '';
  };
  // The first commit: every file, an empty one, an executable.
  commit('initial\n', []);
  for (const f of text) modify(f.path, Buffer.from(f.lines.join('\n') + '\n'));
  for (const b of bins) modify(b.path, b.bytes);
  modify('empty', Buffer.alloc(0));
  emit('M 100755 inline run.sh\n');
  data(Buffer.from('#!/bin/sh\necho hello\n'));

  const bigAt = opts.bigFile ? Math.floor(opts.commits / 2) : -1;
  let big: Buffer | null = null;
  for (let c = 1; c < opts.commits; c++) {
    commit(`change ${c}\n\n${line()}\n`, []);
    const edits = 1 + pick(2);
    for (let k = 0; k < edits; k++) {
      if (bins.length && rand() < 0.15) {
        const b = bins[pick(bins.length)];
        const at = pick(b.bytes.length);
        b.bytes = Buffer.concat([b.bytes.subarray(0, at), randomBytesFrom(rand, 1 + pick(64)), b.bytes.subarray(Math.min(b.bytes.length, at + pick(64)))]);
        modify(b.path, b.bytes);
        continue;
      }
      const f = text[pick(text.length)];
      const n = 1 + pick(4);
      for (let j = 0; j < n; j++) {
        const at = pick(f.lines.length);
        const op = pick(3);
        if (op === 0) f.lines[at] = line();
        else if (op === 1) f.lines.splice(at, 0, line());
        else if (f.lines.length > 10) f.lines.splice(at, 1);
      }
      modify(f.path, Buffer.from(f.lines.join('\n') + '\n'));
    }
    if (c % 40 === 0) {
      // A rename: same content under a new name.
      const f = text[pick(text.length)];
      const to = f.path.replace(/file(\d+)/, (_, d) => `renamed${d}_${c}`);
      emit(`R ${f.path} ${to}\n`);
      f.path = to;
    }
    if (c === bigAt) {
      big = randomBytesFrom(rand, opts.bigFile!);
      modify('big/large.bin', big);
    } else if (c === bigAt + 1 && big) {
      const at = big.length >> 1;
      modify('big/large.bin', Buffer.concat([big.subarray(0, at), Buffer.from('an edit in the middle of a large file'), big.subarray(at)]));
    }
  }
  emit(`tag v1.0\nfrom refs/heads/main\ntagger T A Gger <tagger@example.com> ${when} +0000\n`);
  data(Buffer.from('release 1.0\n'));
  // Big random blobs do not compress: storing them (level 0) saves seconds; a
  // later repack still deltifies them (past --big-file-threshold it would not).
  const level = opts.bigFile ? ['-c', 'core.compression=0'] : [];
  execFileSync('git', [...level, 'fast-import', '--quiet', '--big-file-threshold=1m'], { cwd: dir, env: gitEnv, input: Buffer.concat(chunks), maxBuffer: 1 << 30 });
}

/** Repacks everything into one pack with OFS deltas chained deep; returns the .pack path. */
export function repackOfs(dir: string, extra: string[] = []): string {
  git(dir, ['repack', '-adfq', '--depth=50', '--window=250', ...extra]);
  const packDir = join(dir, 'objects', 'pack');
  const pack = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  return join(packDir, pack);
}

/** Packs every object with REF deltas (no --delta-base-offset) to `prefix`-<id>.pack; returns its path. */
export function packRef(dir: string, prefix: string): string {
  const list = git(dir, ['rev-list', '--objects', '--all']);
  const id = git(dir, ['pack-objects', '-q', '--no-reuse-delta', '--depth=50', '--window=50', prefix], { input: list }).trim();
  return `${prefix}-${id}.pack`;
}

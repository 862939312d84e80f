// Repositories for the checkout suites, made by real git in temporary directories.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackHandle } from '../../host/core/objects.ts';
import { git } from '../helpers/git.ts';

/** Runs git with the test identity and the file protocol allowed (for submodules). */
export function g(cwd: string, args: string[], input?: string | Uint8Array): string {
  return git(cwd, ['-c', 'protocol.file.allow=always', ...args], input === undefined ? {} : { input });
}

/** The packs of a repository's .git directory, as checkout() takes them. */
export function packsOf(gitDir: string): PackHandle[] {
  const dir = join(gitDir, 'objects', 'pack');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.idx'))
    .map((f) => ({ pack: join(dir, f.replace(/\.idx$/, '.pack')), idx: join(dir, f) }));
}

/**
 * A repository with everything a checkout must reproduce: regular, empty and
 * executable files, symbolic links (relative, absolute, dangling), a submodule,
 * Unicode and spaces in names, names that sort around a directory (`x`, `x-y`,
 * `x.y`, `x/`), a deep tree, a wide one (600 entries), and enough history on
 * one file for long delta chains once packed with `git repack -adf --depth=50`.
 */
export function makeSampleRepo(root: string): string {
  const sub = join(root, 'sub-src');
  mkdirSync(sub);
  g(sub, ['init', '-q', '-b', 'main']);
  writeFileSync(join(sub, 'inner.txt'), 'inside the submodule\n');
  g(sub, ['add', '.']);
  g(sub, ['commit', '-qm', 'sub']);

  const src = join(root, 'src');
  mkdirSync(src);
  g(src, ['init', '-q', '-b', 'main']);
  const w = (rel: string, data: string | Buffer) => {
    mkdirSync(join(src, rel, '..'), { recursive: true });
    writeFileSync(join(src, rel), data);
  };
  // History: a growing, edited file gives chains of deltas.
  for (let i = 1; i <= 60; i++) {
    const lines: string[] = [];
    for (let j = 0; j < 400 + i * 10; j++) lines.push(j % 37 === i % 37 ? `edited ${i} line ${j}` : `line ${j} of the long file`);
    w('long.txt', lines.join('\n') + '\n');
    w(`notes/n${i % 7}.md`, `note ${i}\n`.repeat(i));
    g(src, ['add', '-A']);
    g(src, ['commit', '-qm', `step ${i}`]);
  }
  w('README', 'hello\n');
  w('empty', '');
  w('bin/run.sh', '#!/bin/sh\necho run\n');
  chmodSync(join(src, 'bin/run.sh'), 0o755);
  w('bin/plain', 'not executable\n');
  symlinkSync('README', join(src, 'link-to-readme'));
  symlinkSync('../../nowhere/at/all', join(src, 'bin/dangling'));
  symlinkSync('/etc/hostname', join(src, 'absolute-link'));
  w('a b/ü dir/ñ file.txt', 'unicode and spaces\n');
  w('日本語/ファイル', 'japanese\n');
  w('x/a', 'in x\n');
  w('x-y', 'dash\n');
  w('x.y', 'dot\n');
  w('x0', 'zero\n');
  let deep = 'deep';
  for (let i = 1; i <= 30; i++) deep += `/level${i}`;
  w(`${deep}/leaf.txt`, 'at the bottom\n');
  w('same/one', 'identical content\n');
  w('same/two', 'identical content\n');
  // More entries in one tree than the core's first table holds (256).
  for (let i = 0; i < 600; i++) w(`wide/f${String(i).padStart(3, '0')}`, `wide ${i % 50}\n`);
  w('binary.bin', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 255)));
  g(src, ['submodule', 'add', '-q', '../sub-src', 'modules/sub']);
  g(src, ['add', '-A']);
  g(src, ['commit', '-qm', 'everything']);
  g(src, ['repack', '-adf', '--depth=50', '--window=50', '-q']);
  return src;
}

/** Writes a tree object byte for byte (`git hash-object --literally` accepts names git would refuse). */
export function writeRawTree(repo: string, entries: { mode: string; name: string | Buffer; id: string }[]): string {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.id, 'hex'));
  }
  return git(repo, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], { input: Buffer.concat(parts) }).trim();
}

export function writeBlob(repo: string, data: string | Buffer): string {
  return git(repo, ['hash-object', '-w', '--stdin'], { input: data }).trim();
}

/** Packs `oids` (and nothing else) into `dir`, with an .idx from git index-pack. */
export function packObjects(repo: string, oids: string[], dir: string): PackHandle[] {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'pack');
  const hash = git(repo, ['pack-objects', '-q', base], { input: oids.join('\n') + '\n' }).trim();
  return [{ pack: `${base}-${hash}.pack`, idx: `${base}-${hash}.idx` }];
}

export interface IndexFileEntry {
  ctimeSec: number; ctimeNsec: number; mtimeSec: number; mtimeNsec: number;
  dev: number; ino: number; mode: number; uid: number; gid: number; size: number;
  id: string; flags: number; path: string;
}

/** Reads a version-2 index file (gitformat-index) for comparisons. */
export function readIndexFile(path: string): { version: number; entries: IndexFileEntry[]; extensions: Buffer; trailer: Buffer } {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 4) !== 'DIRC') throw new Error(`${path}: not an index file`);
  const version = b.readUInt32BE(4);
  const n = b.readUInt32BE(8);
  let p = 12;
  const entries: IndexFileEntry[] = [];
  for (let i = 0; i < n; i++) {
    const u = (k: number) => b.readUInt32BE(p + 4 * k);
    const flags = b.readUInt16BE(p + 60);
    const nul = b.indexOf(0, p + 62);
    entries.push({
      ctimeSec: u(0), ctimeNsec: u(1), mtimeSec: u(2), mtimeNsec: u(3), dev: u(4), ino: u(5), mode: u(6), uid: u(7), gid: u(8), size: u(9),
      id: b.toString('hex', p + 40, p + 60), flags, path: b.toString('utf8', p + 62, nul),
    });
    p += (62 + (nul - p - 62) + 8) & ~7;
  }
  return { version, entries, extensions: b.subarray(p, b.length - 20), trailer: b.subarray(b.length - 20) };
}

/** Every path under `dir` (but .git) with its file type and permission bits, and link targets. */
export function listing(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    if (!rel && name === '.git') continue;
    const p = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, p));
    const kind = st.isSymbolicLink() ? `link -> ${readlinkSync(join(dir, p))}` : st.isDirectory() ? 'dir' : 'file';
    out.push(`${(st.mode & 0o777).toString(8)} ${kind} ${p}`);
    if (st.isDirectory()) out.push(...listing(dir, p));
  }
  return out;
}

/** Asserts that the checkout at `dst` is what `git clone` made at `oracle`: work tree, index entries, git's own view. */
export function sameAsGit(dst: string, oracle: string): void {
  assert.is(git(dst, ['status', '--porcelain']), '', 'git status --porcelain is empty');
  assert.is(git(dst, ['diff-files']), '', 'git diff-files is empty (stat data matches)');
  assert.is(git(dst, ['ls-files', '-s']), git(oracle, ['ls-files', '-s']), 'git ls-files -s as after git clone');
  const diff = spawnSync('diff', ['-r', '--no-dereference', '-x', '.git', oracle, dst], { encoding: 'utf8' });
  assert.is(diff.status, 0, `diff -r: ${diff.stdout}${diff.stderr}`);
  assert.equal(listing(dst), listing(oracle), 'same paths, types, modes and link targets');
  git(dst, ['fsck', '--full', '--strict', '--no-dangling']);
}

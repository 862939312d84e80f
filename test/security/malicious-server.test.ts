// Clones from a server that lies. Real git http-backend serves repositories
// crafted with `git hash-object --literally` (trees git itself would never
// write), and a front in test/security/tamper.ts rewrites the answers: a pack
// with a wrong trailer, an object whose content no longer hashes to the id its
// tree names, a pack without the wanted commit, refs git refuses, a million
// refs, a response cut or stalled half way.
//
// Every one must end in a clear `fatal:` message and exit 128, with nothing
// written outside the target and no directory left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gitEnv, tempDir } from '../helpers/git.ts';
import { parsePack, writePack } from '../fuzz/targets/pack.ts';
import { runWasmgit, startTamperingServer, type Tampering } from './tamper.ts';

let base: { dir: string; cleanup(): void };
let root: string;
let work: string;
let tipCommit = '';

function git(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, { cwd, env: gitEnv, input, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** Every path under `dir` with its size: what "nothing written outside" compares. */
function snapshot(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (p === skip) continue;
      const s = statSync(p, { throwIfNoEntry: false });
      out.push(`${relative(dir, p)} ${s?.isDirectory() ? 'dir' : s?.size}`);
      if (s?.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** A bare repository whose one commit has a tree built byte by byte (names git would refuse included). */
function craftedRepo(name: string, entries: { mode: string; name: string | Buffer; content?: string; tree?: string }[]): string {
  const repo = join(root, name);
  git(root, ['init', '-q', '--bare', repo]);
  const parts: Buffer[] = [];
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const e of sorted) {
    const id = e.tree ?? git(repo, ['hash-object', '-w', '--stdin'], e.content ?? '');
    parts.push(Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(id, 'hex'));
  }
  const tree = git(repo, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], Buffer.concat(parts));
  const commit = git(repo, ['commit-tree', '-m', 'crafted', tree]);
  git(repo, ['update-ref', 'refs/heads/main', commit]);
  git(repo, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  return tree;
}

/** A subtree holding one file, for entries that must be directories. */
function subtree(repo: string, file: string, content: string): string {
  const blob = git(join(root, repo), ['hash-object', '-w', '--stdin'], content);
  return git(join(root, repo), ['mktree'], `100644 blob ${blob}\t${file}\n`);
}

test.before(() => {
  base = tempDir('malicious');
  root = join(base.dir, 'served');
  work = join(base.dir, 'work');
  mkdirSync(root);
  mkdirSync(work);
  mkdirSync(join(base.dir, 'outside'));
  writeFileSync(join(base.dir, 'outside', 'keep'), 'must not change\n');
  // A plain repository with some history, for the tampered answers.
  const src = join(base.dir, 'src');
  mkdirSync(src);
  git(src, ['init', '-q', '-b', 'main', '.']);
  for (let i = 0; i < 5; i++) {
    mkdirSync(join(src, 'dir'), { recursive: true });
    writeFileSync(join(src, 'dir', 'file.txt'), `version ${i}\n`.repeat(200 + i));
    writeFileSync(join(src, `f${i}.txt`), `file ${i}\n`);
    git(src, ['add', '-A']);
    git(src, ['commit', '-q', '-m', `commit ${i}`]);
  }
  tipCommit = git(src, ['rev-parse', 'HEAD']);
  git(base.dir, ['clone', '-q', '--bare', src, join(root, 'repo.git')]);
});

test.after(() => base.cleanup());

/** Clones `url` into work/<target>; expects git's fatal exit and no trace of the clone anywhere. */
async function refused(url: string, target: string, why: RegExp, opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<string> {
  const before = snapshot(base.dir, join(work, target));
  const r = await runWasmgit(['clone', ...(opts.args ?? []), url, target], work, { ...gitEnv, ...opts.env });
  assert.is(r.code, 128, `exit status 128 (got ${r.code}, signal ${r.signal}); stderr:\n${r.stderr}`);
  assert.match(r.stderr, /^fatal: /m, `a fatal: line: ${r.stderr}`);
  assert.match(r.stderr, why, `the error says why: ${r.stderr}`);
  assert.not.ok(r.stderr.includes('    at '), `no stack trace: ${r.stderr}`);
  assert.not.ok(existsSync(join(work, target)), 'no directory left behind');
  assert.equal(snapshot(base.dir, join(work, target)), before, 'nothing written outside the target');
  console.log(`  ${target}: ${r.stderr.split('\n').find((l) => l.startsWith('fatal:'))}`);
  return r.stderr;
}

async function withServer(t: Tampering, fn: (url: string) => Promise<void>): Promise<void> {
  const s = await startTamperingServer(root, t);
  try {
    await fn(s.url('repo.git'));
  } finally {
    await s.close();
  }
}

test('a pack whose trailer checksum is wrong', async () => {
  await withServer({ pack: (p) => { const o = Buffer.from(p); o[o.length - 1] ^= 0xff; return o; } }, (url) =>
    refused(url, 'bad-trailer', /checksum/i).then(() => {}));
});

test('an object whose content does not hash to the id its tree names', async () => {
  await withServer({
    pack(p) {
      const m = parsePack(p)!;
      const blob = m.entries.find((e) => e.type === 3 && e.data.length > 100)!;
      blob.data = Buffer.from(Buffer.from(blob.data).toString().replace('version', 'VERSION'));
      blob.size = BigInt(blob.data.length);
      blob.z = null;
      return writePack(m, true);
    },
  }, (url) => refused(url, 'bad-object', /missing|not found|bad object|did not send all/i).then(() => {}));
});

test('a pack missing the wanted commit', async () => {
  await withServer({
    pack(p) {
      const m = parsePack(p)!;
      const tip = m.entries.findIndex((e) => e.type === 1 && Buffer.from(e.data).toString().includes('commit 4'));
      assert.ok(tip >= 0, 'the tip commit is in the pack');
      m.entries.splice(tip, 1);
      for (const e of m.entries) if (e.base !== undefined && e.base > tip) e.base--;
      m.count = m.entries.length;
      return writePack(m, true);
    },
  }, (url) => refused(url, 'no-commit', new RegExp(`${tipCommit}|missing|did not send all`)).then(() => {}));
});

test('a connection cut in the middle of the pack', async () => {
  await withServer({ cutAfter: 0.5 }, (url) => refused(url, 'cut', /hung up|end of file|closed|truncated|early EOF|connection/i).then(() => {}));
});

test('a server that stops sending half way: the idle timeout ends it', async () => {
  await withServer({ stallAfter: 0.5 }, (url) =>
    refused(url, 'stalled', /timed out/i, { env: { WASMGIT_HTTP_TIMEOUT_MS: '1500' } }).then(() => {}));
});

for (const [what, name] of [['refs/heads/../x', 'refs/heads/../x'], ['a control character', 'refs/heads/a\x01b'], ['a terminal escape', 'refs/heads/\x1b]0;owned\x07x'], ['refs/heads/.lock', 'refs/heads/x.lock']] as const) {
  test(`a ref git refuses (${what})`, async () => {
    await withServer({ refs: (lines) => [...lines, `${tipCommit} ${name}`] }, async (url) => {
      const stderr = await refused(url, `badref-${what.replace(/\W/g, '')}`, /not a valid ref name/);
      // The server's bytes reach the terminal escaped, never raw.
      assert.not.match(stderr, /[\x00-\x09\x0b-\x1f\x7f]/, `no control characters on stderr: ${JSON.stringify(stderr)}`);
    });
  });
}

test('a ref advertisement of a million refs: bounded time and memory, handled or refused clearly', async () => {
  const million = (lines: string[]) => {
    const out = lines.slice();
    for (let i = 0; i < 1_000_000; i++) out.push(`${tipCommit} refs/heads/branch-${i}`);
    return out;
  };
  await withServer({ refs: million }, async (url) => {
    const started = Date.now();
    // A 1 GiB heap cap: a clone that needed more would crash, not pass.
    const r = await runWasmgit(['clone', '--no-checkout', url, 'million'], work, { ...gitEnv }, undefined, ['--max-old-space-size=1024']);
    const target = join(work, 'million');
    console.log(`  million: exit ${r.code} after ${Date.now() - started} ms; ${r.stderr.split('\n').filter((l) => /fatal|error/.test(l)).join(' ') || 'no error'}`);
    if (r.code === 0) {
      // Handled: every ref is there, as git would have written it.
      const refs = git(target, ['for-each-ref', '--count=3', '--format=%(refname)', 'refs/remotes/origin/']);
      assert.ok(refs.length > 0, 'remote-tracking refs written');
      // main, HEAD and the million branches, as git's for-each-ref reads them.
      assert.is(git(target, ['for-each-ref', '--format=x', 'refs/remotes/origin/']).split('\n').length, 1_000_002);
    } else {
      assert.is(r.code, 128, r.stderr);
      assert.match(r.stderr, /^fatal: /m);
      assert.not.ok(existsSync(target), 'no directory left behind');
    }
  });
});

test('trees with ../ escapes, .git under any spelling, git~1: refused before anything is written', async () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['dotdot', '..', /'\.\.'/],
    ['dotgit', '.git', /\.git/],
    ['dotgit-upper', '.GIT', /\.git/i],
    ['dotgit-dot', '.git.', /\.git/i],
    ['git-tilde', 'git~1', /git~1/i],
    ['slash', '../escape', /'\/'|\.\./],
  ];
  for (const [repo, name, why] of cases) {
    const t = join(root, `${repo}.git`);
    git(root, ['init', '-q', '--bare', t]);
    const sub = subtree(`${repo}.git`, 'config', '[core]\n\tfsmonitor = touch pwned\n');
    craftedRepo(`${repo}.git`, [{ mode: '100644', name: 'README', content: 'hi\n' }, { mode: '40000', name, tree: sub }].filter(Boolean));
  }
  const s = await startTamperingServer(root, {});
  try {
    for (const [repo, , why] of cases) await refused(s.url(`${repo}.git`), `tree-${repo}`, why);
  } finally {
    await s.close();
  }
});

test('a symlink, then a path through it', async () => {
  const repo = 'symlink.git';
  git(root, ['init', '-q', '--bare', join(root, repo)]);
  const sub = subtree(repo, 'x', 'written through the link\n');
  craftedRepo(repo, [
    { mode: '120000', name: 'a', content: join(base.dir, 'outside') },
    { mode: '40000', name: 'a', tree: sub },
  ]);
  const s = await startTamperingServer(root, {});
  try {
    await refused(s.url(repo), 'symlink', /duplicate|symbolic link|'a'/);
  } finally {
    await s.close();
  }
});

test('.gitmodules with a URL starting with "-": no command runs, the clone is refused', async () => {
  const repo = 'submodule.git';
  git(root, ['init', '-q', '--bare', join(root, repo)]);
  const marker = join(base.dir, 'outside', 'pwned');
  craftedRepo(repo, [
    { mode: '100644', name: '.gitmodules', content: `[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch ${marker}\n` },
    { mode: '160000', name: 'x', tree: tipCommit },
  ]);
  const s = await startTamperingServer(root, {});
  try {
    await refused(s.url(repo), 'submodule', /url|gitmodules|-/i, { args: ['--recurse-submodules'] });
    assert.not.ok(existsSync(marker), 'the URL was never run as an option');
  } finally {
    await s.close();
  }
});

test.run();

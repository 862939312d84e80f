// Long-running filter processes (`filter.<driver>.process`, as Git LFS
// installs one) during a clone's checkout, beside `git clone` with the same
// configuration: the files the filter smudges, what it is told about each
// (path, branch, commit, blob), its refusals, and a filter that cannot be
// started. The filter is test/fixtures/filter-process/upcase.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { git, gitEnv, treeListing } from './fixture.ts';
import { clone } from '../../host/clone.ts';
import { runAsync, wasmgitAsync } from '../helpers/cli.ts';
import { git as gitIn, tempDir } from '../helpers/git.ts';
import { skipWithReason } from '../helpers/skip.ts';

const tmp = tempDir('filter-process');
const src = join(tmp.dir, 'src');
const filter = fileURLToPath(new URL('../fixtures/filter-process/upcase.mjs', import.meta.url));
const command = `'${process.execPath}' '${filter}'`;

mkdirSync(join(src, 'dir'), { recursive: true });
git(tmp.dir, ['init', '-q', '-b', 'main', src]);
writeFileSync(join(src, '.gitattributes'), '*.up filter=upcase\n');
writeFileSync(join(src, 'a.up'), 'hello\n');
// More than one packet (65516 bytes) each way.
writeFileSync(join(src, 'big.up'), 'many lines of text\n'.repeat(20000));
writeFileSync(join(src, 'dir', 'b.up'), 'in a directory\n');
writeFileSync(join(src, 'refuse.up'), 'the filter says no\n');
writeFileSync(join(src, 'plain.txt'), 'not filtered\n');
git(src, ['add', '.']);
git(src, ['commit', '-qm', 'filtered files']);
git(src, ['tag', 'v1']);

/** Clones `src` with git and wasmgit under the same -c options; each run's filter requests are logged apart. */
async function both(name: string, config: string[], extra: string[] = [], moreEnv: NodeJS.ProcessEnv = {}) {
  const out: Record<'git' | 'ours', { dir: string; code: number | null; stderr: string; requests: string[][] }> = {} as never;
  for (const who of ['git', 'ours'] as const) {
    const dir = join(tmp.dir, `${who}-${name}`);
    const log = join(tmp.dir, `${who}-${name}.log`);
    rmSync(log, { force: true });
    const env = { ...gitEnv, ...moreEnv, FILTER_LOG: log };
    const args = [...config.flatMap((c) => ['-c', c]), 'clone', '-q', ...extra, src, dir];
    const r = who === 'git' ? await runAsync('git', args, { cwd: tmp.dir, env }) : await wasmgitAsync(args, { cwd: tmp.dir, env });
    const requests = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]) : [];
    out[who] = { dir, code: r.code, stderr: r.stderr, requests };
  }
  return out;
}

/** The lines git prints after a failed checkout; wasmgit removes the clone instead. */
const gitKeeps = (stderr: string) => stderr.replace(/warning: Clone succeeded, but checkout failed\.\n(.*\n){2}\n?/, '');
const sorted = (requests: string[][]) => requests.map((r) => r.join('')).sort();

test('the files a long-running filter smudges, and what it is told of each, as with git clone', async () => {
  for (const [name, extra] of [['branch', []], ['tag', ['-b', 'v1']]] as const) {
    const { git: theirs, ours } = await both(name, [`filter.upcase.process=${command}`], [...extra]);
    assert.is(ours.code, 0, ours.stderr);
    assert.is(ours.code, theirs.code);
    assert.is(ours.stderr, theirs.stderr);
    assert.equal(treeListing(ours.dir), treeListing(theirs.dir), `${name}: work trees`);
    assert.is(readFileSync(join(ours.dir, 'a.up'), 'utf8'), 'HELLO\n');
    assert.is(readFileSync(join(ours.dir, 'refuse.up'), 'utf8'), 'the filter says no\n', 'refused: written as stored');
    // command, pathname, ref (a branch only), treeish (the commit), blob: the same requests, in the checkout's order.
    assert.equal(sorted(ours.requests), sorted(theirs.requests), `${name}: requests`);
    assert.is(ours.requests.length, 4);
    const head = git(ours.dir, ['rev-parse', 'HEAD']).trim();
    assert.ok(ours.requests.every((r) => r.includes(`treeish=${head}\n`) && r.includes(name === 'branch' ? 'ref=refs/heads/main\n' : 'command=smudge\n')));
    assert.is(ours.requests.some((r) => r.some((l) => l.startsWith('ref='))), name === 'branch', `${name}: ref= only for a branch`);
  }
});

test('a filter that delays its files (as Git LFS batches downloads): asked for them again once the rest is written, as git asks', async () => {
  const { git: theirs, ours } = await both('delay', [`filter.upcase.process=${command}`], [], { FILTER_DELAY: '1' });
  assert.is(ours.code, 0, ours.stderr);
  assert.is(ours.stderr, theirs.stderr);
  assert.equal(treeListing(ours.dir), treeListing(theirs.dir), 'work trees');
  assert.is(readFileSync(join(ours.dir, 'big.up'), 'utf8'), 'MANY LINES OF TEXT\n'.repeat(20000));
  // Each file asked with can-delay=1, then list_available_blobs, each asked again without it, a last empty list.
  assert.equal(sorted(ours.requests), sorted(theirs.requests), 'requests');
  const kinds = (requests: string[][]) => requests.map((r) => (r.includes('command=list_available_blobs\n') ? 'list' : r.includes('can-delay=1\n') ? 'delay' : 'again'));
  // (refuse.up is refused at once, not delayed.)
  assert.equal(kinds(ours.requests), [...Array(4).fill('delay'), 'list', ...Array(3).fill('again'), 'list']);
  assert.equal(kinds(ours.requests), kinds(theirs.requests));
  assert.is(git(ours.dir, ['status', '--porcelain']), git(theirs.dir, ['status', '--porcelain']));
});

test('an abort while a filter process does not answer: the clone rejects with the abort, the process is stopped, nothing left', async () => {
  // Reads what it is sent and never answers, like a filter stuck on the network.
  const stuck = join(tmp.dir, 'stuck.sh');
  const pidFile = join(tmp.dir, 'stuck.pid');
  writeFileSync(stuck, `echo $$ > '${pidFile}'\nexec cat > /dev/null\n`);
  const dir = join(tmp.dir, 'ours-stuck');
  const ac = new AbortController();
  const done = clone({ repository: src, directory: dir, config: [`filter.upcase.process=sh '${stuck}'`], env: gitEnv, cwd: tmp.dir, signal: ac.signal });
  while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  const err = await done.then(() => null, (e: Error) => e);
  assert.is(err?.name, 'AbortError', String(err));
  assert.not.ok(existsSync(dir), 'nothing left');
  // Stopped: gone, or a zombie no one has reaped yet (its parent, the shell, was stopped too).
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const running = () => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && running(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.not.ok(running(), 'the filter process is stopped');
});

test('a required filter that refuses a file: git\'s message, exit 128, nothing left', async () => {
  const { git: theirs, ours } = await both('required', [`filter.upcase.process=${command}`, 'filter.upcase.required=true']);
  assert.is(ours.code, 128);
  assert.is(ours.code, theirs.code);
  assert.is(ours.stderr, gitKeeps(theirs.stderr));
  assert.is(ours.stderr, 'fatal: refuse.up: smudge filter upcase failed\n');
  assert.not.ok(existsSync(ours.dir));
});

test('status=abort: the filter is asked nothing more, and the files after it are written as stored', async () => {
  const repo = join(tmp.dir, 'abort-src');
  git(tmp.dir, ['clone', '-q', src, repo]);
  writeFileSync(join(repo, 'abort.up'), 'stop here\n');
  git(repo, ['add', '.']);
  git(repo, ['commit', '-qm', 'abort']);
  const dir = join(tmp.dir, 'ours-abort');
  const log = join(tmp.dir, 'ours-abort.log');
  const r = await wasmgitAsync(['-c', `filter.upcase.process=${command}`, 'clone', '-q', repo, dir], { cwd: tmp.dir, env: { ...gitEnv, FILTER_LOG: log } });
  assert.is(r.code, 0, r.stderr);
  const requests = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  const asked = requests.map((q) => q.find((l) => l.startsWith('pathname='))!.slice(9, -1));
  assert.is(asked.at(-1), 'abort.up', 'nothing asked after the abort');
  for (const f of ['a.up', 'big.up', 'dir/b.up']) {
    const data = readFileSync(join(dir, f), 'utf8');
    assert.is(data === data.toUpperCase(), asked.includes(f), `${f}: smudged only if asked before the abort`);
  }
  assert.is(readFileSync(join(dir, 'abort.up'), 'utf8'), 'stop here\n');
});

test('a filter command that cannot be run: git\'s errors for each file, which is written as stored; required, git\'s fatal error', async () => {
  for (const required of [false, true]) {
    const config = ['filter.upcase.process=no-such-filter-command', ...(required ? ['filter.upcase.required=true'] : [])];
    const { git: theirs, ours } = await both(`missing-${required}`, config);
    assert.is(ours.code, required ? 128 : 0, ours.stderr);
    assert.is(ours.code, theirs.code);
    assert.match(ours.stderr, "error: cannot run no-such-filter-command: No such file or directory\nerror: cannot fork to run subprocess 'no-such-filter-command'\n");
    // The fatal line names the first filtered file each checks out (git in index order, wasmgit in pack order).
    if (required) assert.match(ours.stderr, /\nfatal: [\w/]+\.up: smudge filter upcase failed\n$/);
    else {
      // One pair of errors per filtered file, in the order each tool checks them out.
      assert.is(ours.stderr.split('\n').length, theirs.stderr.split('\n').length);
      assert.equal(treeListing(ours.dir), treeListing(theirs.dir));
    }
  }
});

// Git LFS: a real long-running filter, with its objects next to the remote (a file:// remote's
// .git/lfs/objects, which git-lfs reads without a server). Its configuration goes in a HOME of
// the test's own, as `git lfs install` writes it.
const hasLfs = spawnSync('git', ['lfs', 'version'], { encoding: 'utf8' }).status === 0;
const lfsName = 'Git LFS (git lfs install): the files its filter process downloads, as git clone checks them out, status clean';
if (!hasLfs) skipWithReason(test, lfsName, 'git-lfs is not installed (Debian package git-lfs)');
else
  test(lfsName, async () => {
    const home = join(tmp.dir, 'lfs-home');
    mkdirSync(home);
    // A global config file of its own (gitEnv's is /dev/null, which `git config --global` must never write).
    const env = { ...gitEnv, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_GLOBAL: join(home, '.gitconfig') };
    const run = (cwd: string, args: string[]) => gitIn(cwd, args, { env });
    run(tmp.dir, ['lfs', 'install', '--skip-repo']);
    const work = join(tmp.dir, 'lfs-work');
    run(tmp.dir, ['init', '-q', '-b', 'main', work]);
    run(work, ['lfs', 'track', '*.bin']);
    writeFileSync(join(work, 'big.bin'), Buffer.alloc(200000, 'lfs content '));
    writeFileSync(join(work, 'small.bin'), 'small\n');
    writeFileSync(join(work, 'a.txt'), 'plain\n');
    run(work, ['add', '.']);
    run(work, ['commit', '-qm', 'lfs']);
    const remote = join(tmp.dir, 'lfs-remote.git');
    run(tmp.dir, ['init', '-q', '--bare', '-b', 'main', remote]);
    const url = `file://${remote}`;
    // The pre-push hook `lfs track` installed sends the LFS objects too.
    run(work, ['push', '-q', url, 'main']);
    const theirs = join(tmp.dir, 'git-lfs-clone');
    const ours = join(tmp.dir, 'ours-lfs-clone');
    await runAsync('git', ['clone', '-q', url, theirs], { cwd: tmp.dir, env });
    const r = await wasmgitAsync(['clone', '-q', url, ours], { cwd: tmp.dir, env });
    assert.is(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(ours, 'big.bin')).equals(readFileSync(join(work, 'big.bin'))), 'big.bin: the LFS object, not its pointer');
    assert.equal(treeListing(ours), treeListing(theirs));
    assert.is(run(ours, ['status', '--porcelain']), '');
    assert.is(run(ours, ['lfs', 'ls-files']), run(theirs, ['lfs', 'ls-files']));
  });

test.after(() => tmp.cleanup());
test.run();

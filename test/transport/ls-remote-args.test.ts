// `wasmgit ls-remote` reads its command line and picks its repository as
// `git ls-remote` does: git's option table with abbreviations and --no-
// forms, options ending at the first argument, the usage on -h, and with
// no repository or a remote's name, the remote configured in the repository
// it runs in. Each case runs both commands and compares status, stdout and
// stderr byte for byte (the command's name aside).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeServedRoot, tempDir, testEnv } from '../helpers/remote-repos.ts';
import { runAsync, wasmgitAsync } from '../helpers/cli.ts';

const tmp = tempDir('ls-remote-args');
const { repo, root } = makeServedRoot(tmp.dir);
const outside = join(tmp.dir, 'outside');
mkdirSync(outside);
// A clone whose origin is the served repository, and one whose branch follows
// another remote, named through url.<base>.insteadOf, with an upload-pack of its own.
const client = join(tmp.dir, 'client');
git(tmp.dir, ['clone', '-q', repo, client]);
const other = join(tmp.dir, 'other');
git(tmp.dir, ['clone', '-q', repo, other]);
git(other, ['config', 'branch.main.remote', 'Up']);
git(other, ['config', 'remote.Up.url', 'served:repo.git']);
git(other, ['config', `url.${root}/.insteadOf`, 'served:']);
git(other, ['config', 'remote.Up.uploadpack', 'no-such-upload-pack']);

/** The usage's continuation lines are indented by the command's name. */
const normalise = (s: string) => s.replace(/^ {25}\[/gm, `${' '.repeat(21)}[`).replaceAll('wasmgit ls-remote', 'git ls-remote');

async function same(args: string[], cwd = outside): Promise<void> {
  const [theirs, ours] = await Promise.all([runAsync('git', ['ls-remote', ...args], { cwd, env: testEnv }), wasmgitAsync(['ls-remote', ...args], { cwd, env: testEnv })]);
  const what = `ls-remote ${args.join(' ')} (in ${cwd})`;
  assert.is(normalise(ours.stderr), theirs.stderr, what);
  assert.is(normalise(ours.stdout), theirs.stdout, what);
  assert.is(ours.code, theirs.code, what);
}

async function all(cases: [string[], string?][]): Promise<void> {
  // Two at a time: each case is two processes.
  for (let i = 0; i < cases.length; i += 2) await Promise.all(cases.slice(i, i + 2).map(([args, cwd]) => same(args, cwd)));
}

test('options as git parses them: abbreviations, --no- forms, --exec, ambiguity, usage on -h and on a bad option', async () => {
  await all([
    [['--he', repo]], [['--sy', '--t', repo]], [['--u=git-upload-pack', repo]], [['--exec=git-upload-pack', repo]],
    [['--tags', '--no-tags', repo]], [['--no-h', '--heads', '--no-heads', repo]], [['--sort=-refname', '--no-sort', repo]], [['-o', 'x', '--no-server-option', repo]],
    [['--e', repo]], [['--s', repo]], [['--n', repo]], [['--no-heads=x', repo]],
    [['-h']], [['--bogus', repo]], [['-c', 'x=y', repo]],
    // The first argument that is not an option ends them: here `--heads` is a pattern.
    [[repo, '--heads']],
  ]);
});

test('no repository, a remote name, --get-url: the remote configured where the command runs, "From" unless -q', async () => {
  await all([
    [[], client], [['-q', '--heads'], client], [['--get-url'], client], [['origin', 'main'], client], [['--get-url', 'origin'], client],
    [['--symref', '--refs'], other], [['--get-url'], other], [['--upload-pack=git-upload-pack', 'Up', 'main'], other], [['Up'], other], [['up', 'main'], other],
    [[]], [['--get-url']], [['nosuch'], client], [['.', 'main'], client],
  ]);
});

test.after(() => tmp.cleanup());

test.run();

// Template directories, against `git clone` with the same template: chosen by
// --template=<dir>, $GIT_TEMPLATE_DIR or init.templateDir (a `~/` path in a
// global config file), or none at all with --template=. The whole .git tree
// (hooks included: files, modes, symlink targets, contents), the config, refs,
// reflogs, fsck and status must be what git makes of the same template.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clone } from '../../host/clone.ts';
import { assertSameClone, git, gitEnv, serveFixture, treeListing, type ServedFixture } from './fixture.ts';

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

let s: ServedFixture;
let tpl: string;
let home: string;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
const wasmgit = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => run(process.execPath, ['--import', tsx, cli, ...args], cwd, env);
const gitClone = (args: string[], cwd: string, env: NodeJS.ProcessEnv) => run('git', ['clone', ...args], cwd, env);

/** The git directory minus what assertSameClone compares on its own terms (config, reflogs) or what differs by design (objects, index stat data). */
const gitDirTree = (dir: string) => treeListing(join(dir, '.git'), (rel) => /^(objects\/|index$|config$|logs$|logs\/)/.test(rel));

function makeTemplate(dir: string, config: string): string {
  mkdirSync(join(dir, 'hooks'), { recursive: true });
  mkdirSync(join(dir, 'info', 'nested'), { recursive: true });
  // The hook leaves a mark, so the test can see that git runs it.
  writeFileSync(join(dir, 'hooks', 'pre-commit'), '#!/bin/sh\necho ran > "${GIT_DIR:-.git}/pre-commit-ran"\n');
  chmodSync(join(dir, 'hooks', 'pre-commit'), 0o755);
  writeFileSync(join(dir, 'info', 'nested', 'notes.txt'), 'nested file\n');
  symlinkSync('info/nested/notes.txt', join(dir, 'notes-link'));
  writeFileSync(join(dir, 'description'), 'shared template\n');
  writeFileSync(join(dir, '.dotfile'), 'skipped by git\n');
  writeFileSync(join(dir, 'config'), config);
  return dir;
}

test.before(async () => {
  s = await serveFixture('templates', { commits: 3 });
  tpl = makeTemplate(join(s.work, 'tpl'), '[foo]\n\tbar = baz\n[core]\n\tfilemode = false\n\tattributesfile = none\n');
  home = join(s.work, 'home');
  mkdirSync(home);
});

test.after(() => s.close());

/** Clones with both tools (wasmgit through the API), then compares everything real git can see. */
async function compare(name: string, repository: string, opts: { template?: string; env?: NodeJS.ProcessEnv; ours?: string[] }): Promise<{ ours: string; theirs: string }> {
  const env = { ...gitEnv, ...opts.env };
  const ours = join(s.work, `${name}-ours`);
  const theirs = join(s.work, `${name}-git`);
  await clone({ repository, directory: ours, template: opts.template, env, cwd: s.work });
  const g = await gitClone([...(opts.template !== undefined ? [`--template=${opts.template}`] : []), repository, theirs], s.work, env);
  assert.is(g.code, 0, g.stderr);
  assert.equal(gitDirTree(ours), gitDirTree(theirs), '.git tree (files, modes, links, contents)');
  assertSameClone(ours, theirs);
  return { ours, theirs };
}

function assertTemplateCopied(dir: string): void {
  const hook = join(dir, '.git', 'hooks', 'pre-commit');
  assert.ok(lstatSync(hook).mode & 0o100, 'the hook is executable');
  assert.is(readlinkSync(join(dir, '.git', 'notes-link')), 'info/nested/notes.txt');
  assert.is(readFileSync(join(dir, '.git', 'description'), 'utf8'), 'shared template\n');
  assert.not.ok(existsSync(join(dir, '.git', '.dotfile')), 'dot files are not copied');
  assert.is(git(dir, ['config', 'foo.bar']).trim(), 'baz');
  assert.is(git(dir, ['config', 'core.filemode']).trim(), 'true', 'core.filemode is probed, not taken from the template');
}

test('--template=<dir> from a local path: the tree, modes, link and config as git copies them', async () => {
  const { ours } = await compare('option', s.fx.path('repo.git'), { template: tpl });
  assertTemplateCopied(ours);
  // The hook is live: git commit runs it.
  writeFileSync(join(ours, 'new.txt'), 'x\n');
  git(ours, ['add', 'new.txt']);
  git(ours, ['commit', '-q', '-m', 'uses the hook']);
  assert.is(readFileSync(join(ours, '.git', 'pre-commit-ran'), 'utf8'), 'ran\n');
});

test('GIT_TEMPLATE_DIR (file:// source), with core.logAllRefUpdates = false in the template kept', async () => {
  const t2 = makeTemplate(join(s.work, 'tpl2'), '[core]\n\tlogallrefupdates = false\n');
  const { ours } = await compare('env', pathToFileURL(s.fx.path('repo.git')).href, { env: { GIT_TEMPLATE_DIR: t2 } });
  assert.is(git(ours, ['config', 'core.logallrefupdates']).trim(), 'false');
  assert.not.ok(existsSync(join(ours, '.git', 'logs')), 'no reflogs, as the template asks');
});

test('init.templateDir = ~/… in the global config', async () => {
  mkdirSync(join(home, 'templates'), { recursive: true });
  makeTemplate(join(home, 'templates', 'shared'), '[foo]\n\tbar = baz\n');
  const global = join(home, 'gitconfig');
  writeFileSync(global, '[init]\n\ttemplateDir = ~/templates/shared\n');
  const { ours } = await compare('config', s.fx.path('repo.git'), { env: { HOME: home, GIT_CONFIG_GLOBAL: global } });
  assert.ok(lstatSync(join(ours, '.git', 'hooks', 'pre-commit')).mode & 0o100, 'the shared hook is executable');
});

test('--template= (empty) wins over GIT_TEMPLATE_DIR and creates no template files at all', async () => {
  const { ours } = await compare('empty', s.fx.path('repo.git'), { template: '', env: { GIT_TEMPLATE_DIR: tpl } });
  for (const p of ['hooks', 'info', 'description', 'branches']) assert.not.ok(existsSync(join(ours, '.git', p)), `${p} is not created`);
});

test('no template given: the built-in description, info/exclude and an empty hooks/', async () => {
  const ours = join(s.work, 'default-ours');
  await clone({ repository: s.fx.path('repo.git'), directory: ours, env: gitEnv });
  const theirs = join(s.work, 'default-git');
  git(s.work, ['clone', '-q', s.fx.path('repo.git'), theirs]);
  const noSamples = (l: string) => !l.includes('hooks/');
  assert.equal(gitDirTree(ours).filter(noSamples), gitDirTree(theirs).filter(noSamples));
  assert.equal(treeListing(join(ours, '.git', 'hooks'), () => false), []);
});

test('CLI over smart HTTP: --template <dir>; a missing or too new template is git\'s warning', async () => {
  const url = s.server.url('repo.git');
  const ours = await wasmgit(['clone', '-q', '--template', tpl, url, 'cli-ours'], s.work, gitEnv);
  assert.is(ours.code, 0, ours.stderr);
  const theirs = await gitClone(['-q', '--template', tpl, url, 'cli-git'], s.work, gitEnv);
  assert.is(theirs.code, 0, theirs.stderr);
  assert.equal(gitDirTree(join(s.work, 'cli-ours')), gitDirTree(join(s.work, 'cli-git')));
  assertSameClone(join(s.work, 'cli-ours'), join(s.work, 'cli-git'));
  assertTemplateCopied(join(s.work, 'cli-ours'));

  const tooNew = makeTemplate(join(s.work, 'tpl-v2'), '[core]\n\trepositoryformatversion = 2\n');
  const unknownExt = makeTemplate(join(s.work, 'tpl-ext'), '[core]\n\trepositoryformatversion = 1\n[extensions]\n\tfrobnicate = yes\n');
  for (const [i, t] of [join(s.work, 'missing'), tooNew, unknownExt].entries()) {
    const a = await wasmgit(['clone', `--template=${t}`, s.fx.path('repo.git'), `warn${i}-ours`], s.work, gitEnv);
    const b = await gitClone([`--template=${t}`, s.fx.path('repo.git'), `warn${i}-git`], s.work, gitEnv);
    assert.is(a.code, 0, a.stderr);
    assert.is(a.stderr.replace(/-ours/g, '-git'), b.stderr, `stderr for ${t}`);
    assert.match(a.stderr, /warning: (templates not found|not copying templates)/);
    assert.equal(gitDirTree(join(s.work, `warn${i}-ours`)), gitDirTree(join(s.work, `warn${i}-git`)));
    assertSameClone(join(s.work, `warn${i}-ours`), join(s.work, `warn${i}-git`));
  }
});

test('a FIFO in the template: git\'s error line, the rest is copied', async () => {
  const odd = makeTemplate(join(s.work, 'tpl-fifo'), '[foo]\n\tbar = baz\n');
  const fifo = spawnSync('mkfifo', [join(odd, 'hooks', 'pipe')]);
  assert.is(fifo.status, 0, 'mkfifo');
  const a = await wasmgit(['clone', '-q', `--template=${odd}`, s.fx.path('repo.git'), 'fifo-ours'], s.work, gitEnv);
  const b = await gitClone(['-q', `--template=${odd}`, s.fx.path('repo.git'), 'fifo-git'], s.work, gitEnv);
  assert.is(a.code, 0, a.stderr);
  assert.match(a.stderr, `error: ignoring template ${join(odd, 'hooks', 'pipe')}`);
  assert.is(a.stderr, b.stderr);
  assert.equal(gitDirTree(join(s.work, 'fifo-ours')), gitDirTree(join(s.work, 'fifo-git')));
  assertSameClone(join(s.work, 'fifo-ours'), join(s.work, 'fifo-git'));
});

test.run();

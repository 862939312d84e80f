// The config writer against `git config -f`: the same sequence of sets and adds
// must give byte-identical files, and the reader must list what git lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigWriter, parseConfig, canonicalKey, parseConfigParameter, readUserConfig } from '../../host/repo/config.ts';
import { git as runGit, tempDir } from '../helpers/git.ts';

const { dir: tmp, cleanup } = tempDir('config');
const git = (...args: string[]) => runGit(tmp, args);

type Op = ['set' | 'add', string, string];
const ops: Op[] = [
  ['set', 'core.repositoryformatversion', '0'],
  ['set', 'core.filemode', 'true'],
  ['set', 'core.bare', 'false'],
  ['add', 'foo.bar', 'baz'],
  ['add', 'Sec.Sub.key', 'a b'],
  ['add', 'x.y', ' lead'],
  ['add', 'x.z', 'semi;colon'],
  ['add', 'x.q', 'ha"sh#x'],
  ['add', 'x.bs', 'a\\b'],
  ['add', 'x.tab', 'a\tb'],
  ['add', 'x.nl', 'a\nb'],
  ['add', 'x.empty', ''],
  ['add', 'x.trail', 'trail '],
  ['add', 'x.y', 'second'],
  ['add', 'remote.up.tagOpt', 'x'],
  ['set', 'remote.up.url', 'https://example.com/r.git'],
  ['set', 'remote.up.tagOpt', '--no-tags'],
  ['add', 'remote.up.fetch', '+refs/heads/*:refs/remotes/up/*'],
  ['set', 'core.repositoryformatversion', '1'],
  ['set', 'sub."quoted\\name".k', 'v'],
  ['set', 'branch.main.remote', 'up'],
  ['set', 'core.logallrefupdates', 'true'],
];

test('ConfigWriter writes what git config writes, byte for byte', () => {
  const file = join(tmp, 'cfg');
  writeFileSync(file, '');
  const w = new ConfigWriter();
  for (const [op, key, value] of ops) {
    if (op === 'set') git('config', '-f', file, key, value);
    else git('config', '-f', file, '--add', key, value);
    if (op === 'set') w.set(key, value);
    else w.add(key, value);
  }
  assert.fixture(w.toString(), readFileSync(file, 'utf8'));
});

test('parseConfig lists what git config --list lists', () => {
  const file = join(tmp, 'cfg');
  writeFileSync(file, readFileSync(file, 'utf8') + '[Legacy.Sub]\n\tKey = "quoted ; value"  ; comment\n\tflag\n\tcont = a\\\n b\n# c\n');
  const ours = parseConfig(readFileSync(file, 'utf8')).map(([k, v]) => `${k}\n${v}`);
  // git lists a bare name without '='; it means true, which is what the reader returns.
  const theirs = git('config', '-z', '-f', file, '--list').split('\0').slice(0, -1).map((l) => (l.includes('\n') ? l : `${l}\ntrue`));
  assert.equal(ours, theirs);
});

test('-c parameters are canonicalised as git does (section and name lower-cased, subsection kept)', () => {
  assert.equal(parseConfigParameter('Foo.BarBaz=1'), ['foo.barbaz', '1']);
  assert.equal(parseConfigParameter('Sec.Sub.Key=a=b'), ['sec.Sub.key', 'a=b']);
  assert.equal(parseConfigParameter('x.flag'), ['x.flag', 'true']);
  assert.is(canonicalKey('Remote.Origin.URL'), 'remote.Origin.url');
  assert.throws(() => parseConfigParameter('nosection=1'), /key does not contain a section: nosection/);
  assert.throws(() => parseConfigParameter('a.1b=1'), /invalid key: a\.1b/);
});

test.after(cleanup);
test('configuration from a parent git (git -c exports GIT_CONFIG_PARAMETERS) and GIT_CONFIG_COUNT is read as git reads it', () => {
  // What git itself exports to a child it runs: an alias sees the real variable.
  const args = ['-c', "a.b=it's!", '-c', 'Sec.Sub.Key=two words', '-c', 'url.https://example.com/.insteadOf=ex:', '-c', 'alias.printparams=!printf %s "$GIT_CONFIG_PARAMETERS"'];
  const env = { ...process.env, HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'Count.Key', GIT_CONFIG_VALUE_0: 'v0' };
  const exported = runGit(tmp, [...args, 'printparams'], { env });
  assert.ok(exported.includes("'a.b'"), `git exported ${exported}`);
  const ours = readUserConfig({ ...env, GIT_CONFIG_PARAMETERS: exported });
  const theirs = runGit(tmp, [...args, 'config', '--list', '--show-scope'], { env })
    .split('\n')
    .filter((l) => l.startsWith('command\t'))
    .map((l) => l.slice('command\t'.length));
  assert.equal(ours.map(([k, v]) => `${k}=${v}`), theirs);
});

test.run();

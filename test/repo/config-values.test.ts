// Booleans and integers in config are read as git reads them: each value is
// checked against what `git config --type=bool` / `--type=int` make of it
// (their output, or their refusal), and a clone given a bad boolean fails as
// git's does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configBool, configNumber, parseMaybeBool } from '../../host/repo/config.ts';
import { gitIdentityEnv } from '../helpers/git.ts';

const env = { ...process.env, ...gitIdentityEnv, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const VALUES = ['true', 'TRUE', 'Yes', 'on', 'false', 'No', 'OFF', '', '0', '1', '-1', '2', '007', '010', '08', '0x10', '0X0', '1k', '2M', '1g', '3x', ' 1', 'maybe', 'tru', '1.0', '+1', '--1', '0x', 'k'];

/** What git makes of `value` as a `--type=<type>`: its output, or null when it refuses the value. */
function gitReads(type: 'bool' | 'int', value: string): string | null {
  const r = spawnSync('git', ['-c', `t.k=${value}`, 'config', `--type=${type}`, 't.k'], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    assert.match(r.stderr, /fatal: bad (boolean|numeric) config value/, r.stderr);
    return null;
  }
  return r.stdout.trim();
}

test('booleans: true/false, the empty value and integers as git_config_bool reads them; anything else refused, naming the key', () => {
  for (const v of VALUES) {
    const theirs = gitReads('bool', v);
    const ours = parseMaybeBool(v);
    assert.is(ours === undefined ? null : String(ours), theirs, `'${v}'`);
    if (theirs === null) assert.throws(() => configBool(v, 't.k'), (e: Error) => e.message === `bad boolean config value '${v}' for 't.k'`, `'${v}'`);
    else assert.is(String(configBool(v, 't.k')), theirs, `'${v}'`);
  }
});

test('integers: decimal, 0x hex, leading-0 octal, k/m/g units as git_config_int reads them', () => {
  for (const v of VALUES) {
    const theirs = gitReads('int', v);
    if (theirs === null) assert.throws(() => configNumber(v, 't.k'), /bad numeric config value/, `'${v}'`);
    else assert.is(String(configNumber(v, 't.k')), theirs, `'${v}'`);
  }
});

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

test('clone with a bad boolean in clone.rejectShallow, core.logAllRefUpdates or .gitmodules: git\'s message and status, as git leaves it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-config-values-'));
  try {
    const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
    const g = (args: string[]) => assert.is(run('git', args).status, 0, args.join(' '));
    g(['init', '-q', '-b', 'main', 'sub']);
    g(['-C', 'sub', 'commit', '-q', '--allow-empty', '-m', 'one']);
    g(['init', '-q', '-b', 'main', 'super']);
    g(['-C', 'super', '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', '../sub', 's']);
    g(['-C', 'super', 'config', '-f', '.gitmodules', 'submodule.s.shallow', 'maybe']);
    g(['-C', 'super', 'commit', '-q', '-am', 'a submodule whose shallow setting is not a boolean']);
    const cases: [string[], string][] = [
      [['-c', 'clone.rejectShallow=maybe', 'clone', 'sub'], "fatal: bad boolean config value 'maybe' for 'clone.rejectshallow'"],
      [['-c', 'core.logAllRefUpdates=maybe', 'clone', 'sub'], "fatal: bad boolean config value 'maybe' for 'core.logallrefupdates'"],
      [['-c', 'core.autocrlf=maybe', '-c', 'core.logAllRefUpdates=maybe', 'clone', 'sub'], "fatal: bad boolean config value 'maybe' for 'core.autocrlf'"],
      [['-c', 'protocol.file.allow=always', 'clone', '--recurse-submodules', 'super'], "fatal: bad boolean config value 'maybe' for 'submodule.s.shallow'"],
      [['-c', 'submodule.stickyRecursiveClone=nah', 'clone', '--recurse-submodules', 'sub'], "fatal: bad boolean config value 'nah' for 'submodule.stickyRecursiveClone'"],
    ];
    for (const [args, fatal] of cases) {
      const theirs = run('git', [...args, 'theirs']);
      const ours = run(process.execPath, ['--import', tsx, cli, ...args, 'ours']);
      assert.is(ours.status, theirs.status, `${args.join(' ')}: ${ours.stderr}`);
      assert.ok(theirs.stderr.includes(fatal) && ours.stderr.includes(fatal), `${args.join(' ')}:\n${ours.stderr}`);
      // Before anything, or after "Cloning into", as git.
      assert.is(ours.stderr.includes('Cloning into'), theirs.stderr.includes('Cloning into'), `${args.join(' ')}:\n${ours.stderr}`);
      assert.is(existsSync(join(dir, 'ours')), existsSync(join(dir, 'theirs')), `${args.join(' ')}: what is left`);
      if (existsSync(join(dir, 'theirs'))) {
        // The superproject is kept, as git keeps it, with the same status.
        const status = (d: string) => run('git', ['-C', d, 'status', '--porcelain']).stdout;
        assert.is(status('ours'), status('theirs'));
      }
      rmSync(join(dir, 'ours'), { recursive: true, force: true });
      rmSync(join(dir, 'theirs'), { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

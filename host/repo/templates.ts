// The template directory a new repository is seeded from, as git 2.39's
// builtin/init-db.c (copy_templates) finds and copies it:
//   --template=<dir>, else $GIT_TEMPLATE_DIR, else init.templateDir from the
//   system/global config (a pathname: `~/` and `~user/` expanded), else git's
//   built-in default — which wasmgit stands in for with its own description
//   and info/exclude (see init.ts), without the sample hooks.
// An empty value at any of those steps means no template at all.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CloneError } from '../errors.ts';
import { lastValue, parseConfig } from './config.ts';

/**
 * What to seed the repository with: `undefined` for git's built-in default,
 * `''` for nothing, else a directory (absolute).
 */
export type TemplateChoice = string | undefined;

/** How git words what it reports and goes on from: `warning: …` or `error: …`. */
export type TemplateReport = (level: 'warning' | 'error', message: string) => void;

/** `~` and `~user` at the start of a config pathname (git's interpolate_path). */
export function expandPathname(value: string, env: NodeJS.ProcessEnv): string {
  if (!value.startsWith('~')) return value;
  const slash = value.indexOf('/');
  const user = value.slice(1, slash < 0 ? undefined : slash);
  const rest = slash < 0 ? '' : value.slice(slash);
  if (!user) {
    const home = env.HOME ?? homedir();
    return home + rest;
  }
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    /* no user database: reported below */
  }
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 6) return f[5] + rest;
  }
  throw new CloneError(`failed to expand user dir in: '${value}'`);
}

/** Picks the template directory in git's order of precedence; relative paths are taken from `cwd`. */
export function chooseTemplate(option: string | undefined, env: NodeJS.ProcessEnv, userConfig: [string, string][], cwd: string): TemplateChoice {
  let dir = option ?? env.GIT_TEMPLATE_DIR;
  if (dir === undefined) {
    const configured = lastValue(userConfig, 'init.templateDir');
    if (configured === undefined) return undefined;
    dir = expandPathname(configured, env);
  }
  if (dir === '') return '';
  return isAbsolute(dir) ? dir : resolve(cwd, dir);
}

// setup.c (git 2.39): extensions a version-1 repository may carry; any other
// makes the template's config, and so the whole template, unacceptable.
const KNOWN_EXTENSIONS = new Set(['noop', 'preciousobjects', 'partialclone', 'noop-v1', 'objectformat', 'worktreeconfig']);

/** Why a template's config is from the wrong vintage (verify_repository_format), or null when it is fine. */
function formatProblem(config: [string, string][]): string | null {
  const v = lastValue(config, 'core.repositoryformatversion');
  if (v === undefined) return null; // no mention of a version is fine
  const version = Number(v.trim());
  if (!Number.isInteger(version)) throw new CloneError(`bad numeric config value '${v}' for 'core.repositoryformatversion' in the template's config`);
  if (version > 1) return `Expected git repo version <= 1, found ${version}`;
  if (version < 1) return null; // version 0 ignores extensions it does not know
  const unknown = [...new Set(config.filter(([k]) => k.startsWith('extensions.') && !KNOWN_EXTENSIONS.has(k.slice(11))).map(([k]) => k.slice(11)))];
  if (!unknown.length) return null;
  return `${unknown.length === 1 ? 'unknown repository extension found:' : 'unknown repository extensions found:'}${unknown.map((e) => `\n\t${e}`).join('')}`;
}

function copyTree(from: string, to: string, report: TemplateReport): void {
  try {
    mkdirSync(to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CloneError(`unable to create directory '${to}': ${(err as Error).message}`, { path: to, cause: err });
  }
  let names: string[];
  try {
    names = readdirSync(from);
  } catch (err) {
    throw new CloneError(`cannot opendir '${from}': ${(err as Error).message}`, { path: from, cause: err });
  }
  for (const name of names) {
    if (name.startsWith('.')) continue; // git skips dot files at every level
    const src = join(from, name);
    const dst = join(to, name);
    let st: Stats;
    try {
      st = lstatSync(src);
    } catch (err) {
      throw new CloneError(`cannot stat template '${src}': ${(err as Error).message}`, { path: src, cause: err });
    }
    if (st.isDirectory()) {
      copyTree(src, dst, report);
      continue;
    }
    if (lstatSync(dst, { throwIfNoEntry: false })) continue; // never overwrite
    try {
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
      // copy.c: copy_file keeps only "executable or not", the umask does the rest.
      else if (st.isFile()) writeFileSync(dst, readFileSync(src), { flag: 'wx', mode: st.mode & 0o111 ? 0o777 : 0o666 });
      else report('error', `ignoring template ${src}`); // a FIFO, a socket, a device: git goes on without it
    } catch (err) {
      throw new CloneError(`cannot copy '${src}' to '${dst}': ${(err as Error).message}`, { path: src, cause: err });
    }
  }
}

/**
 * Copies the template directory into `gitDir` (files, directories, symlinks;
 * names starting with a dot skipped; existing files kept). A missing directory,
 * or a template whose config is of a format git cannot read, is a warning and
 * nothing is copied, as in git.
 */
export function copyTemplate(templateDir: string, gitDir: string, report: TemplateReport): void {
  const warn = (m: string) => report('warning', m);
  try {
    readdirSync(templateDir); // opendir() in git: a link to a directory is fine
  } catch {
    warn(`templates not found in ${templateDir}`);
    return;
  }
  let text: string | null = null;
  try {
    text = readFileSync(join(templateDir, 'config'), 'utf8');
  } catch {
    /* no config in the template */
  }
  const problem = text === null ? null : formatProblem(parseConfig(text, join(templateDir, 'config')));
  if (problem) {
    warn(`not copying templates from '${templateDir}': ${problem}`);
    return;
  }
  copyTree(templateDir, gitDir, report);
}

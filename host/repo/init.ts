// A new repository laid out as `git init` (builtin/init-db.c) does for `git clone`:
// the template copied first (templates.ts; for git's built-in default, the files
// it installs minus the sample hooks), then the directories git always creates,
// and a config — the template's, if it has one — whose [core] section is probed
// the way create_default_files() probes it (file mode, symlinks, case sensitivity).
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigWriter, lastValue, parseConfig } from './config.ts';
import { copyTemplate, type TemplateChoice, type TemplateReport } from './templates.ts';

const DESCRIPTION = "Unnamed repository; edit this file 'description' to name the repository.\n";

const INFO_EXCLUDE = `# git ls-files --others --exclude-from=.git/info/exclude
# Lines that start with '#' are comments.
# For a project mostly in C, the following would be a good set of
# exclude patterns (uncomment them if you want to use them):
# *.[oa]
# *~
`;

export interface InitOptions {
  bare: boolean;
  /** Branch HEAD points at until the clone knows the remote's (init.defaultBranch). */
  initialBranch: string;
  /** The template directory (templates.ts: chooseTemplate); undefined: git's built-in default. */
  template?: TemplateChoice;
  /** The user's config: a core.logAllRefUpdates there (or in the template's config) is not overridden. */
  userConfig?: [string, string][];
  /** Template problems git reports and goes on from. */
  onTemplateProblem?: TemplateReport;
}

/** Does flipping the executable bit of `path` stick? (FAT, some FUSE mounts: no.) */
function probeFilemode(path: string): boolean {
  try {
    const st1 = lstatSync(path);
    chmodSync(path, st1.mode ^ 0o100);
    const st2 = lstatSync(path);
    chmodSync(path, st1.mode);
    return st1.mode !== st2.mode && (st1.mode & 0o100) === 0;
  } catch {
    return false;
  }
}

function probeSymlinks(gitDir: string): boolean {
  const path = join(gitDir, `t${process.pid}${Date.now() % 100000}`);
  try {
    closeSync(openSync(path, 'wx'));
    unlinkSync(path);
    symlinkSync('testing', path);
    const ok = lstatSync(path).isSymbolicLink();
    unlinkSync(path);
    return ok;
  } catch {
    try {
      unlinkSync(path);
    } catch {
      /* nothing left */
    }
    return false;
  }
}

/**
 * Creates the git directory's skeleton and returns its config, ready for the
 * clone to add to; the caller writes the config with writeConfig().
 */
export function initRepository(gitDir: string, opts: InitOptions): ConfigWriter {
  mkdirSync(gitDir, { recursive: true });
  if (opts.template === undefined) {
    for (const d of ['branches', 'hooks', 'info']) mkdirSync(join(gitDir, d));
    writeFileSync(join(gitDir, 'description'), DESCRIPTION);
    writeFileSync(join(gitDir, 'info', 'exclude'), INFO_EXCLUDE);
  } else if (opts.template !== '') copyTemplate(opts.template, gitDir, (level, m) => opts.onTemplateProblem?.(level, m));
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) mkdirSync(join(gitDir, d), { recursive: true });
  writeFileSync(join(gitDir, 'HEAD'), `ref: refs/heads/${opts.initialBranch}\n`);

  // The template's config is the repository's config from here on: git edits
  // the copied file in place, so its keys stay and [core] keys are set inside it.
  const configPath = join(gitDir, 'config');
  const fromTemplate: [string, string][] = existsSync(configPath) ? parseConfig(readFileSync(configPath, 'utf8'), configPath) : [];
  const config = new ConfigWriter();
  for (const [k, v] of fromTemplate) config.add(k, v);
  config.set('core.repositoryformatversion', '0');
  writeConfig(gitDir, config);
  config.set('core.filemode', probeFilemode(join(gitDir, 'config')) ? 'true' : 'false');
  if (opts.bare) config.set('core.bare', 'true');
  else {
    config.set('core.bare', 'false');
    // "allow template config file to override the default" (and any config git reads then).
    if (lastValue([...(opts.userConfig ?? []), ...fromTemplate], 'core.logallrefupdates') === undefined) config.set('core.logallrefupdates', 'true');
  }
  if (!probeSymlinks(gitDir)) config.set('core.symlinks', 'false');
  if (existsSync(join(gitDir, 'CoNfIg'))) config.set('core.ignorecase', 'true');
  writeConfig(gitDir, config);
  return config;
}

export function writeConfig(gitDir: string, config: ConfigWriter): void {
  writeFileSync(join(gitDir, 'config'), config.toString());
}

// `wasmgit clone [options] <repository> [<directory>]`: a thin layer over the
// clone() API that parses git's options, prints git's progress on stderr, and
// exits as git does (0; 128 fatal; 129 usage; 130 on SIGINT and 143 on SIGTERM,
// after removing what the clone had created).
import { parseArgs, formatOptions, UsageError, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { clone, type CloneOptions } from '../clone.ts';
import { GitProgressPrinter } from '../progress/printer.ts';
import { AbortError, SparseCheckoutError, SubmoduleError } from '../errors.ts';
import { onOutputFailure } from './output.ts';

const SPECS: OptionSpec[] = [
  { name: 'verbose', short: 'v', help: 'be more verbose' },
  { name: 'quiet', short: 'q', help: 'be more quiet: no progress, no "Cloning into" line' },
  { name: 'progress', negatable: true, help: 'force progress reporting even when stderr is not a terminal' },
  { name: 'no-checkout', short: 'n', help: "don't create a checkout" },
  { name: 'sparse', help: 'initialize the sparse-checkout file to check out only the files at the top level' },
  { name: 'bare', help: 'create a bare repository' },
  { name: 'mirror', help: 'create a mirror repository (implies --bare): all refs, mapped to themselves' },
  { name: 'origin', short: 'o', value: true, arg: 'name', help: "use <name> instead of 'origin' to track upstream" },
  { name: 'branch', short: 'b', value: true, arg: 'branch', help: "checkout <branch> instead of the remote's HEAD (a tag detaches HEAD)" },
  { name: 'depth', value: true, arg: 'depth', help: 'create a shallow clone of that depth (implies --single-branch)' },
  { name: 'shallow-since', value: true, arg: 'time', help: 'create a shallow clone since a specific time' },
  { name: 'shallow-exclude', value: true, multiple: true, arg: 'revision', help: 'deepen history of shallow clone, excluding rev (repeatable)' },
  { name: 'single-branch', negatable: true, help: 'clone only one branch, HEAD or --branch' },
  { name: 'no-tags', help: "don't clone any tags, and make later fetches not to follow them" },
  { name: 'recurse-submodules', optionalValue: '.', multiple: true, arg: 'pathspec', help: 'clone submodules (those matching <pathspec>; repeatable), recursively' },
  { name: 'recursive', optionalValue: '.', multiple: true, arg: 'pathspec', help: 'alias of --recurse-submodules' },
  { name: 'shallow-submodules', negatable: true, help: 'clone submodules with depth 1' },
  { name: 'remote-submodules', negatable: true, help: "check out each submodule at its remote-tracking branch, not the recorded commit" },
  { name: 'also-filter-submodules', help: 'apply the --filter to the submodules too (with --recurse-submodules)' },
  { name: 'jobs', short: 'j', value: true, arg: 'n', help: 'clone up to <n> submodules at the same time' },
  { name: 'local', short: 'l', negatable: true, help: 'read a local repository directly: the default for a path, ignored for URLs (as git); --no-local runs git-upload-pack on it, as for file://' },
  { name: 'reject-shallow', negatable: true, help: "refuse a source repository that is shallow (default: clone.rejectShallow)" },
  { name: 'reference', value: true, multiple: true, arg: 'repo', help: 'borrow objects from a local repository (objects/info/alternates): only what it lacks is fetched' },
  { name: 'reference-if-able', value: true, multiple: true, arg: 'repo', help: 'the same, skipping a path that is not a repository with a notice' },
  { name: 'shared', short: 's', help: "with a local source, borrow its objects instead of copying them" },
  { name: 'dissociate', help: 'copy the borrowed objects in before the checkout and drop the alternates' },
  { name: 'bundle-uri', value: true, arg: 'uri', help: 'first unbundle the bundle at <uri> (a path, file:// or http(s)://); fetch only what it lacks' },
  { name: 'no-hardlinks', help: "copy a local repository's object files instead of hardlinking them" },
  { name: 'template', value: true, arg: 'template-directory', help: "directory from which templates will be used ('' for none)" },
  { name: 'separate-git-dir', value: true, arg: 'gitdir', help: 'put the git directory at <gitdir>; the work tree gets a .git file naming it' },
  { name: 'config', short: 'c', value: true, multiple: true, arg: 'key=value', help: 'set config inside the new repository (repeatable)' },
  { name: 'server-option', value: true, multiple: true, arg: 'option', help: 'send <option> to the server (protocol v2; repeatable)' },
  { name: 'ipv4', short: '4', help: 'use IPv4 addresses only' },
  { name: 'ipv6', short: '6', help: 'use IPv6 addresses only' },
  { name: 'upload-pack', short: 'u', value: true, arg: 'path', help: 'path to git-upload-pack on the remote (ssh, file://, a local path)' },
  { name: 'filter', value: true, arg: 'filter-spec', help: 'partial clone: blob:none, blob:limit=<n>[kmg], tree:<depth>, object:type=<type>, sparse:oid=<oid>, combine:<f>+<f>' },
];

/** -v raises the verbosity (from below zero, to 1), -q lowers it (from above zero, to -1): parse-options' verbosity callback. */
function verbosity(sequence: string[]): number {
  let v = 0;
  for (const name of sequence) {
    if (name === 'verbose') v = v >= 0 ? v + 1 : 1;
    else if (name === 'quiet') v = v <= 0 ? v - 1 : -1;
  }
  return v;
}

function usage(): string {
  return `usage: wasmgit clone [<options>] [--] <repo> [<dir>]

Clones a repository into a new directory, as \`git clone\` does: remote-tracking
branches for each branch of the repository, the remote's default branch (or
--branch) checked out. <repo> is a URL (https://, http://, git://, ssh://,
file://, [user@]host:path) or a local path, which needs no git installed: a
repository, or a bundle file made by \`git bundle create\`.

${formatOptions(SPECS)}

Progress is shown when stderr is a terminal, or with --progress; -q silences it.

Submodules: --recurse-submodules does what git 2.39's does after the checkout
(git submodule update --init --recursive). Each submodule is cloned into
.git/modules/<name> and detached at the commit the superproject records; that
commit is fetched on its own when the clone did not bring it (on no branch, or
below a shallow tip). <pathspec> values go to submodule.active and select the
top-level submodules (plain option: '.', all). --shallow-submodules clones them
with depth 1; so does 'shallow = true' in .gitmodules, with or without the
option, as in git 2.39. --remote-submodules checks each one out at its
remote-tracking branch instead (submodule.<name>.branch, default the remote's
HEAD; '.' follows the superproject's branch). -j <n> (default
submodule.fetchJobs, else 1) clones up to n at the same time; checkouts run one
after the other. When a submodule
fails, the superproject is kept and the exit status is 1 (128 when the recorded
commit cannot be fetched), as with git.

Templates: the new .git is seeded from --template=<dir>, else $GIT_TEMPLATE_DIR,
else init.templateDir (system or global config), as in git: files (modes kept,
so hooks stay executable), directories and symlinks, names starting with '.'
skipped; the template's config becomes the repository's. Without any of them,
wasmgit writes description and info/exclude (no sample hooks); an empty value
means no template at all.

Exit status: 0 on success, 128 on a fatal error, 129 on a usage error, 130 and
143 when interrupted by SIGINT and SIGTERM (the partial clone is removed).
`;
}

/** --shallow-since accepts what git's approxidate commonly gets: dates, `@<seconds>`, `<n> <unit>s ago`. */
export function parseSince(text: string, now = Date.now()): Date {
  const t = text.trim();
  const at = /^@?(\d{9,})$/.exec(t);
  if (at) return new Date(Number(at[1]) * 1000);
  const ago = /^(\d+)[ .]*(second|minute|hour|day|week|month|year)s?[ .]*ago$/i.exec(t);
  if (ago) {
    const unit = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800, month: 2592000, year: 31536000 }[ago[2].toLowerCase() as 'day'];
    return new Date(now - Number(ago[1]) * unit * 1000);
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new UsageError(`invalid date for --shallow-since: '${text}'`);
  return new Date(ms);
}

/** -4/-6: the later one wins when both are given, as with git's OPT_SET_INT. */
function family(opts: Record<string, unknown>, argv: string[]): 4 | 6 | undefined {
  if (!opts.ipv4 && !opts.ipv6) return undefined;
  if (!opts.ipv6) return 4;
  if (!opts.ipv4) return 6;
  const last = (names: string[]) => Math.max(...names.map((n) => argv.lastIndexOf(n)));
  return last(['-4', '--ipv4']) > last(['-6', '--ipv6']) ? 4 : 6;
}

async function run(argv: string[]): Promise<number> {
  const { opts, positional, sequence } = parseArgs(argv, SPECS);
  if (positional.length === 0) {
    process.stderr.write(`fatal: You must specify a repository to clone.\n\n${usage()}`);
    return 129;
  }
  if (positional.length > 2) {
    process.stderr.write(`fatal: Too many arguments.\n\n${usage()}`);
    return 129;
  }
  let depth: number | undefined;
  if (opts.depth !== undefined) {
    const d = String(opts.depth);
    depth = /^-?\d+$/.test(d) ? Number(d) : NaN;
    if (!(depth > 0)) {
      process.stderr.write(`fatal: depth ${d} is not a positive number\n`);
      return 128;
    }
  }
  let jobs: number | undefined;
  if (opts.jobs !== undefined) {
    const j = String(opts.jobs);
    if (!/^-?\d+$/.test(j)) throw new UsageError(`option \`jobs' expects a numerical value`, false);
    jobs = Number(j) < 0 ? undefined : Number(j);
  }
  const recurse = [...((opts['recurse-submodules'] as string[] | undefined) ?? []), ...((opts.recursive as string[] | undefined) ?? [])];
  // git's OPT__VERBOSITY: -v and -q count in the order given (`-q -v` is verbose).
  const level = verbosity(sequence);
  const quiet = level < 0;
  const terminal = !!process.stderr.isTTY;
  const showProgress = !quiet && (opts.progress === true || (opts.progress !== false && terminal));
  const printer = new GitProgressPrinter(
    { write: (s) => void process.stderr.write(s), columns: Number(process.env.COLUMNS) || process.stderr.columns || 80 },
    { progress: showProgress, quiet, terminal, color: terminal && !process.env.NO_COLOR, stdout: (s) => void process.stdout.write(s) },
  );

  const controller = new AbortController();
  let exitForSignal = 0;
  // git's sigchain_push_common(): SIGINT, SIGHUP (the terminal closed), SIGTERM and
  // SIGQUIT remove what the clone made; the status is 128 + the signal's number.
  const onSignal = (sig: NodeJS.Signals) => {
    if (exitForSignal) process.exit(exitForSignal); // a second signal: stop waiting for cleanup
    exitForSignal = 128 + CLEANUP_SIGNALS[sig as keyof typeof CLEANUP_SIGNALS];
    controller.abort(new AbortError(`interrupted by ${sig}`));
  };
  for (const sig of Object.keys(CLEANUP_SIGNALS)) process.on(sig, onSignal);
  // Output that cannot be written (stderr's reader gone) stops the clone as a signal would, cleaning up.
  const unhook = onOutputFailure((code) => {
    if (exitForSignal) return;
    exitForSignal = code;
    controller.abort(new AbortError('standard output or error can no longer be written'));
  });

  const options: CloneOptions = {
    repository: positional[0],
    directory: positional[1],
    bare: opts.bare === true,
    mirror: opts.mirror === true,
    noCheckout: opts['no-checkout'] === true,
    sparse: opts.sparse === true,
    branch: opts.branch as string | undefined,
    singleBranch: opts['single-branch'] as boolean | undefined,
    depth,
    shallowSince: opts['shallow-since'] !== undefined ? parseSince(String(opts['shallow-since'])) : undefined,
    shallowExclude: opts['shallow-exclude'] as string[] | undefined,
    origin: opts.origin as string | undefined,
    config: opts.config as string[] | undefined,
    template: opts.template as string | undefined,
    separateGitDir: opts['separate-git-dir'] as string | undefined,
    uploadPack: opts['upload-pack'] as string | undefined,
    local: typeof opts.local === 'boolean' ? opts.local : undefined,
    hardlinks: opts['no-hardlinks'] === true ? false : undefined,
    alsoFilterSubmodules: opts['also-filter-submodules'] === true ? true : undefined,
    ipFamily: family(opts, argv),
    rejectShallow: opts['reject-shallow'] as boolean | undefined,
    serverOptions: opts['server-option'] as string[] | undefined,
    filter: opts.filter as string | undefined,
    recurseSubmodules: recurse.length ? recurse : undefined,
    shallowSubmodules: opts['shallow-submodules'] as boolean | undefined,
    remoteSubmodules: opts['remote-submodules'] as boolean | undefined,
    reference: [...((opts.reference as string[] | undefined) ?? []), ...((opts['reference-if-able'] as string[] | undefined) ?? []).map((path) => ({ path, ifAble: true }))],
    shared: opts.shared === true,
    dissociate: opts.dissociate === true,
    bundleUri: opts['bundle-uri'] as string | undefined,
    jobs,
    noTags: opts['no-tags'] === true,
    verbose: level > 0,
    serverProgress: showProgress,
    onProgress: (e) => printer.handle(e),
    signal: controller.signal,
  };
  try {
    await clone(options);
    return 0;
  } catch (err) {
    if (exitForSignal) return exitForSignal;
    if (err instanceof SparseCheckoutError) {
      // git's words: its sparse-checkout child's fatal line, then clone's own.
      process.stderr.write(`fatal: ${err.message}\nerror: failed to initialize sparse-checkout\n`);
      return err.exitCode;
    }
    if (err instanceof SubmoduleError) {
      // The superproject is kept. Exit status 1 follows messages already printed; 128 is git's die().
      if (err.exitCode === 128) process.stderr.write(`fatal: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    for (const sig of Object.keys(CLEANUP_SIGNALS)) process.off(sig, onSignal);
    unhook();
  }
}

/** The signals a clone cleans up after, with their numbers (Linux). */
const CLEANUP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export const cloneCommand: Command = {
  summary: 'Clone a repository into a new directory',
  usage,
  run,
};

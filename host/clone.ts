// `clone(options)`: the library API behind `wasmgit clone`, reproducing what
// builtin/clone.c (git 2.39) does, step by step:
//   check the target → init the repository → write -c and remote config →
//   list the remote's refs → choose the wants → fetch the pack (streamed to
//   objects/pack/tmp_pack_* while the core indexes it) → write refs, HEAD and
//   reflogs → check out HEAD (fetching missing blobs first for a partial clone)
//   → clone submodules.
// A failure or an abort removes everything the clone created, like git's
// remove_junk(): the whole directory when the clone made it, only its contents
// when it was given an empty one.
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AbortError, CloneError, ConfigError, DestinationExistsError, RefNotFoundError, RepositoryNotFoundError, SparseCheckoutError, SubmoduleError, WasmgitError, systemErrorMessage, systemErrorReason } from './errors.ts';
import { guessDirectoryName } from './clone/dirname.ts';
import { expandRefPrefix, planRefs, type AdvertisedRef, type RefPlan } from './clone/refmap.ts';
import { resolveSource, type Source } from './clone/source.ts';
import { configBool, configNumber, ConfigWriter, lastValue, parseConfigParameter, readUserConfig } from './repo/config.ts';
import { initRepository, writeConfig } from './repo/init.ts';
import { findGitDir } from './repo/git-dir.ts';
import { chooseTemplate } from './repo/templates.ts';
import { committerIdent } from './repo/ident.ts';
import { appendReflog, formatPackedRefs, writeLooseRef, writePackedRefs, writeShallow, writeSymref, ZERO_OID, type PackedRef } from './repo/refs.ts';
import { assertRefName, refNameProblem } from './repo/refname.ts';
import { checkoutHead, fetchPack, openRepositoryObjects, connect, receivePack, stderrNotes, type Connection, type IndexSettings, type RepositoryObjects } from './clone/pieces.ts';
import { cloneSubmodules } from './clone/submodules.ts';
import { filterSpec } from './clone/filter.ts';
import { rewriteUrl } from './transport/url.ts';
import { serverOptionsRefusal, transportAllowed, transportName } from './transport/config.ts';
import { bundlePackMessage, isBundleFile, readBundleHeader } from './transport/bundle.ts';
import type { FixThinOptions } from './pack/fix-thin.ts';
import { TransportError } from './protocol/errors.ts';
import { typeCode } from './transport/local-repo.ts';
import { openLocal } from './transport/local.ts';
import { compileCore } from './core/instance.ts';
import { afterPendingIo } from './turns.ts';
import { addAlternates, alternateHaves, dissociate, referenceObjectDirs, writeServerInfo } from './clone/alternates.ts';
import { linkableObjects, linkObjects } from './clone/local-objects.ts';
import { fetchBundleUri } from './clone/bundle-uri.ts';

/** One progress or message event; the CLI turns these into git's stderr text (host/progress/printer.ts). */
export type CloneEvent =
  | { phase: 'start'; directory: string; bare: boolean; local: boolean }
  | { phase: 'remote'; message: string }
  | { phase: 'receiving'; done: number; total: number; bytes?: number; final?: boolean }
  | { phase: 'resolving'; done: number; total: number; final?: boolean }
  /** Objects a dumb-HTTP fetch has walked (a count with no total). */
  | { phase: 'walking'; done: number; final?: boolean }
  | { phase: 'fetched' }
  | { phase: 'checkout'; done: number; total: number; final?: boolean }
  | { phase: 'warning'; message: string }
  /** Text git prints; `always`: even with -q; `stdout`: git prints it on stdout (submodule checkouts). */
  | { phase: 'note'; message: string; always?: boolean; stdout?: boolean };

export interface CloneOptions {
  /** Repository to clone: a URL (http(s)://, git://, ssh://, file://, user@host:path), a local path, or a bundle file (`git bundle create`). */
  repository: string;
  /** Target directory; guessed from the repository as git guesses it when omitted. */
  directory?: string;
  /** `--bare`: no work tree, refs/heads/* mapped to refs/heads/*. */
  bare?: boolean;
  /** `--mirror`: bare, every ref mapped to itself, remote.<name>.mirror set. */
  mirror?: boolean;
  /**
   * `--sparse`: a sparse checkout in cone mode holding only the top-level
   * files (`git sparse-checkout set` with no directory). core.sparseCheckout
   * and core.sparseCheckoutCone go to config.worktree (extensions.worktreeConfig),
   * the patterns to info/sparse-checkout; the checkout writes the top-level
   * entries only and marks the others skip-worktree in the index. A partial
   * clone fetches only the blobs it writes. Not with `bare`/`mirror`.
   */
  sparse?: boolean;
  /** `-n/--no-checkout`. */
  noCheckout?: boolean;
  /** `-b/--branch`: a branch to check out, or a tag to detach HEAD at. */
  branch?: string;
  /** `--[no-]single-branch`; defaults to true for shallow clones, as in git. */
  singleBranch?: boolean;
  /** `--depth`. */
  depth?: number;
  /** `--shallow-since`. */
  shallowSince?: Date;
  /** `--shallow-exclude` (repeatable). */
  shallowExclude?: string[];
  /** `-o/--origin`: name of the remote (default clone.defaultRemoteName or `origin`). */
  origin?: string;
  /** `-c key=value` entries written to the new repository's config, in order. */
  config?: string[];
  /**
   * `--template`: directory whose files, directories and symlinks seed the new
   * git directory (its `config` becomes the repository's config). Default:
   * $GIT_TEMPLATE_DIR, else init.templateDir, else wasmgit's built-in one
   * (description, info/exclude, empty hooks/). `''`: no template at all.
   */
  template?: string;
  /** `--separate-git-dir`: the git directory goes here; the work tree gets a `.git` file naming it. */
  separateGitDir?: string;
  /**
   * `-u/--upload-pack`: the upload-pack command for file://, ssh and local-path
   * sources (shell text; the path is appended), as git's. Used for the clone's
   * own connection only, as git does; not written to the config.
   */
  uploadPack?: string;
  /**
   * `-l/--local`: a path is read directly anyway; asked for with a URL or a
   * shallow source, it is ignored with git's warning. `false` (`--no-local`):
   * a path is cloned as a file:// URL is, through git-upload-pack (or
   * `uploadPack`): --depth and --filter apply, and git must be installed.
   */
  local?: boolean;
  /**
   * `--reference <repo>` (or, with `ifAble`, `--reference-if-able <repo>`):
   * borrow objects from local repositories through objects/info/alternates;
   * the server is told their refs' objects are here, and sends only the rest.
   */
  reference?: (string | { path: string; ifAble?: boolean })[];
  /** `-s/--shared`: a local source's objects are borrowed (alternates), not copied. Ignored for URLs, as by git. */
  shared?: boolean;
  /** `--no-hardlinks` (false): a local source's object files are copied, not hardlinked. */
  hardlinks?: boolean;
  /** `-v`: the transport says what it sends where git's does (HTTP: each POST and its size). */
  verbose?: boolean;
  /** `--dissociate`: before the checkout, copy the borrowed objects in and drop the alternates. */
  dissociate?: boolean;
  /**
   * `--bundle-uri=<uri>`: first unbundle the bundle at `<uri>` (a path,
   * file:// or http(s)://), its branches kept as refs/bundles/*; the fetch then
   * asks only for what it lacks. One that cannot be used is a warning.
   */
  bundleUri?: string;
  /**
   * `--[no-]reject-shallow` (default: clone.rejectShallow): refuse a source
   * that is itself shallow, as git does. Without it such a clone is shallow too.
   */
  rejectShallow?: boolean;
  /** `--also-filter-submodules`: clone the submodules with `filter` too (needs `filter` and `recurseSubmodules`). */
  alsoFilterSubmodules?: boolean;
  /** `-4`/`-6`: connect over IPv4 or IPv6 only. */
  ipFamily?: 4 | 6;
  /** `--server-option` (repeatable): strings for the server, sent with protocol v2's commands; a v0 server is refused as git refuses it (over HTTP they are dropped, as git drops them). */
  serverOptions?: string[];
  /** `--filter`: partial clone filter spec (blob:none, blob:limit=<n>, tree:0). */
  filter?: string;
  /**
   * `--recurse-submodules[=<pathspec>]`: after the checkout, clone and check out
   * submodules, recursively. `true` means all of them (submodule.active = `.`);
   * pathspecs (e.g. `['libs', ':!libs/big']`) select the top-level submodules
   * whose paths match, and are written to submodule.active. Nested submodules of
   * a selected one are all cloned, as with git. An empty array clones none.
   */
  recurseSubmodules?: boolean | string[];
  /**
   * `--[no-]shallow-submodules`: clone each submodule with depth 1. As in git
   * 2.39, a submodule whose .gitmodules entry says `shallow = true` is cloned
   * with depth 1 either way.
   */
  shallowSubmodules?: boolean;
  /**
   * `--[no-]remote-submodules`: each submodule is checked out at its
   * remote-tracking branch (submodule.<name>.branch, default the remote's HEAD)
   * instead of the commit the superproject records, as `git submodule update --remote`.
   */
  remoteSubmodules?: boolean;
  /** `-j/--jobs`: how many submodules are cloned at the same time (default submodule.fetchJobs, else 1; 0: one per CPU). */
  jobs?: number;
  /** `--no-tags`. */
  noTags?: boolean;
  /** Ask the server for progress messages (git does when it shows progress). */
  serverProgress?: boolean;
  onProgress?(event: CloneEvent): void;
  signal?: AbortSignal;
  /** Environment for credentials, proxies, identity (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against (default process.cwd()). */
  cwd?: string;
  /**
   * @internal Set by --recurse-submodules for each submodule's clone: the git
   * directory lives in the superproject's .git/modules/<name> (`git clone
   * --separate-git-dir`), the work tree gets a `.git` file and core.worktree
   * points back at it.
   */
  submodule?: { gitDir: string; worktree: string; gitfile: string };
}

export interface CloneResult {
  /** The work tree (or the bare repository). */
  directory: string;
  gitDir: string;
  url: string;
  /** Commit HEAD points at, if any. */
  head: string | null;
  /** Branch HEAD is a symref to, if not detached. */
  branch: string | null;
  /** Files written by the checkout. */
  files: number;
  /** Paths of the packs written under objects/pack/. */
  packs: string[];
}

interface Normalized {
  bare: boolean;
  mirror: boolean;
  noCheckout: boolean;
  singleBranch: boolean;
  deepen: boolean;
  config: [string, string][];
  remoteName: string;
  rejectShallow: boolean;
  /** submodule.active pathspecs: non-empty when submodules are to be cloned. */
  submodulePathspecs: string[];
  /** --filter, as git records it. */
  filter?: string;
  /** The first -c entry git cannot write (its message). */
  configProblem?: string;
  /** A bad submodule.stickyRecursiveClone, reported once the clone has started. */
  stickyProblem?: ConfigError;
}

/** Whether the local repository at `path` is shallow (a `shallow` file in its common directory). */
function isShallowRepository(path: string): boolean {
  const found = findGitDir(path);
  return !!found && existsSync(join(found.commonDir, 'shallow'));
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError('clone aborted', signal.reason);
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

function normalize(o: CloneOptions, userConfig: [string, string][]): Normalized {
  const mirror = !!o.mirror;
  const bare = mirror || !!o.bare;
  if (o.depth !== undefined && !(Number.isInteger(o.depth) && o.depth > 0)) {
    throw new CloneError(`depth ${o.depth} is not a positive number`, { url: o.repository });
  }
  const filter = o.filter !== undefined ? filterSpec(o.filter) : undefined;
  const deepen = o.depth !== undefined || o.shallowSince !== undefined || !!o.shallowExclude?.length;
  if (o.bundleUri !== undefined && deepen) throw new CloneError('--bundle-uri is incompatible with --depth, --shallow-since, and --shallow-exclude', { url: o.repository });
  if (o.jobs !== undefined && !Number.isInteger(o.jobs)) throw new CloneError(`jobs ${o.jobs} is not an integer`, { url: o.repository });
  // git_default_core_config() reads these as the command starts: a bad value
  // stops the clone before anything is made, naming the first in config order.
  for (const [k, v] of userConfig) {
    if ((k === 'core.logallrefupdates' && v.toLowerCase() !== 'always') || (k === 'core.autocrlf' && v.toLowerCase() !== 'input')) configBool(v, k);
  }
  // A -c git cannot write is reported after "Cloning into", as git's write_config() fails then.
  let configProblem: string | undefined;
  const config: [string, string][] = [];
  for (const text of o.config ?? []) {
    try {
      config.push(parseConfigParameter(text));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      configProblem ??= err.message;
    }
  }
  const fromConfig = (k: string) => lastValue([...userConfig, ...config], k);
  // builtin/clone.c: each pathspec (`.` for the plain option), sorted and
  // without duplicates, becomes a submodule.active value after the -c entries.
  const specs = o.submodule ? [] : o.recurseSubmodules === true ? ['.'] : Array.isArray(o.recurseSubmodules) ? o.recurseSubmodules : [];
  const submodulePathspecs = [...new Set(specs)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const spec of submodulePathspecs) config.push(['submodule.active', spec]);
  const sticky = fromConfig('submodule.stickyrecursiveclone');
  // git reads it after "Cloning into": a bad value fails the clone from there.
  let stickyProblem: ConfigError | undefined;
  try {
    if (submodulePathspecs.length && sticky !== undefined && configBool(sticky, 'submodule.stickyRecursiveClone')) config.push(['submodule.recurse', 'true']);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    stickyProblem = err;
  }
  const remoteName = o.origin ?? fromConfig('clone.defaultremotename') ?? 'origin';
  const rejectShallowConfig = fromConfig('clone.rejectshallow');
  const rejectShallow = o.rejectShallow ?? (rejectShallowConfig !== undefined && configBool(rejectShallowConfig, 'clone.rejectshallow'));
  return {
    bare,
    mirror,
    noCheckout: bare || !!o.noCheckout,
    singleBranch: o.singleBranch ?? deepen,
    deepen,
    config,
    remoteName,
    rejectShallow,
    filter,
    submodulePathspecs,
    configProblem,
    stickyProblem,
  };
}

/** Ref prefixes for ls-refs, in the order git sends them (refspec prefixes, --branch expansions, tags). */
function lsRefsPrefixes(n: Normalized, o: CloneOptions, extraRefspecs: string[]): string[] {
  const out = ['HEAD'];
  for (const spec of [...extraRefspecs, n.mirror ? '+refs/*:refs/*' : '+refs/heads/*:']) {
    const src = spec.replace(/^\+/, '').split(':')[0];
    // refspec_ref_prefixes(): negative refspecs and object ids name no ref to list.
    if (src.startsWith('^') || /^[0-9a-f]{40}$/.test(src)) continue;
    const star = src.indexOf('*');
    if (star >= 0) out.push(src.slice(0, star));
    else out.push(...expandRefPrefix(src || 'HEAD'));
  }
  if (o.branch !== undefined) {
    const b = o.branch;
    out.push(b, `refs/${b}`, `refs/tags/${b}`, `refs/heads/${b}`, `refs/remotes/${b}`, `refs/remotes/${b}/HEAD`);
  }
  if (!o.noTags) out.push('refs/tags/');
  return [...new Set(out)];
}

export async function clone(o: CloneOptions): Promise<CloneResult> {
  // Callers from plain JavaScript get no type check: a missing repository is
  // git's usage error, not a TypeError from deep inside.
  if (typeof o?.repository !== 'string') throw new CloneError('You must specify a repository to clone.');
  // An empty one is given, and names nothing: git's words for it.
  if (o.repository === '') throw new RepositoryNotFoundError("repository '' does not exist", { url: '' });
  if (o.directory !== undefined && typeof o.directory !== 'string') {
    throw new CloneError('the directory to clone into must be a string', { url: o.repository });
  }
  if (o.directory === '') {
    // git's words for an empty <directory>: its mkdir fails for a work tree;
    // a bare repository gets as far as saying where it clones to.
    if (!o.bare && !o.mirror) throw new CloneError("could not create work tree dir '': No such file or directory", { url: o.repository, path: '' });
    o.onProgress?.({ phase: 'start', directory: '', bare: true, local: false });
    throw new CloneError('The empty string is not a valid path', { url: o.repository, path: '' });
  }
  return (await cloneRepository(o)).result;
}

/** clone(), also handing back the new repository's config (which submodule init adds to). */
async function cloneRepository(o: CloneOptions): Promise<{ result: CloneResult; config: ConfigWriter }> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const emit = (e: CloneEvent) => o.onProgress?.(e);
  throwIfAborted(o.signal);
  // Compile the core now, while the connection and the ref advertisement are
  // waited for; the pack and the checkout take the same compiled module later
  // (and report it if it failed).
  compileCore().catch(() => {});

  const userConfig = readUserConfig(env);
  const n = normalize(o, userConfig);
  // The user's configuration, then -c: what git reads for this clone.
  const allConfig = [...userConfig, ...n.config];
  let source: Source = resolveSource(o.repository, cwd);
  // --no-local: the path stays the URL, but is read through upload-pack as a remote is.
  const throughUploadPack = source.local && o.local === false;
  if (throughUploadPack) source = { ...source, local: false };

  let dirArg = o.directory ?? guessDirectoryName(o.repository, n.bare, source.bundle !== undefined);
  dirArg = dirArg.replace(/(.)\/+$/, '$1');
  const dir = isAbsolute(dirArg) ? dirArg : resolve(cwd, dirArg);
  const destExisted = existsSync(dir);
  if (destExisted && !isEmptyDir(dir)) {
    throw new DestinationExistsError(`destination path '${dirArg}' already exists and is not an empty directory.`, { path: dir, url: source.url });
  }
  const sub = o.submodule;
  if (o.separateGitDir !== undefined && n.bare) throw new CloneError("options '--bare' and '--separate-git-dir' cannot be used together", { url: source.url });
  const separate = o.separateGitDir !== undefined ? resolve(cwd, o.separateGitDir) : undefined;
  // $GIT_WORK_TREE (as git clone reads it): the files go there, which must not
  // exist yet, and <directory> becomes the git directory itself (or, with
  // --separate-git-dir, the .git file naming it), with core.worktree set.
  const envWorkTree = !n.bare && !sub && env.GIT_WORK_TREE ? env.GIT_WORK_TREE : undefined;
  const workTree = envWorkTree !== undefined ? resolve(cwd, envWorkTree) : dir;
  if (envWorkTree !== undefined && existsSync(workTree)) {
    throw new DestinationExistsError(`working tree '${envWorkTree}' already exists.`, { path: workTree, url: source.url });
  }
  const gitDir = sub?.gitDir ?? separate ?? (n.bare || envWorkTree !== undefined ? dir : join(dir, '.git'));
  const gitFile = envWorkTree !== undefined ? dir : join(dir, '.git');
  // A git directory of its own (a submodule's, --separate-git-dir) is checked and undone on its own.
  const ownGitDir = !!(sub?.gitDir || separate);
  const gitDirExisted = ownGitDir ? existsSync(gitDir) : destExisted;
  if (sub?.gitDir && gitDirExisted && !isEmptyDir(gitDir)) {
    throw new DestinationExistsError(`'${gitDir}' already exists and is not an empty directory.`, { path: gitDir, url: source.url });
  }
  if (separate && gitDirExisted && !isEmptyDir(gitDir)) {
    throw new DestinationExistsError(`repository path '${o.separateGitDir}' already exists and is not an empty directory.`, { path: gitDir, url: source.url });
  }

  // Everything from here on is undone on failure (git: remove_junk).
  // Set once <directory> is there: a failure to create it removes nothing (a
  // dangling symbolic link in its place, say, is the user's).
  let dirReady = false;
  const cleanup = () => {
    const made: [string, boolean][] = [...(dirReady ? [[dir, destExisted]] : []), ...(ownGitDir ? [[gitDir, gitDirExisted]] : []), ...(workTree !== dir ? [[workTree, false]] : [])] as [string, boolean][];
    for (const [path, existed] of made) {
      try {
        if (existed) for (const e of readdirSync(path)) rmSync(join(path, e), { recursive: true, force: true });
        else rmSync(path, { recursive: true, force: true });
      } catch {
        /* already gone */
      }
    }
  };
  let objects: RepositoryObjects | null = null;
  let conn: Connection | null = null;
  try {
    // With both $GIT_WORK_TREE and --separate-git-dir, <directory> is a file.
    if (!(separate && envWorkTree !== undefined)) createTarget(dir, dirArg, !n.bare && envWorkTree === undefined, destExisted);
    dirReady = true;
    if (workTree !== dir) mkdirSync(workTree, { recursive: true });
    // A shallow local repository is not copied as a local clone (git reads it
    // through upload-pack): no "done.", meters shown, and -l ignored.
    const localShallow = source.local && isShallowRepository(source.url);
    emit({ phase: 'start', directory: o.submodule?.gitDir ? dir : dirArg, bare: n.bare, local: source.local && !localShallow });
    if (separate) {
      // init_db(): the path made real (every component but the last must be
      // there), and refused when it exists at all, even as an empty directory.
      const missing = missingParent(o.separateGitDir!, cwd);
      if (missing) throw new CloneError(`Invalid path '${missing}': No such file or directory`, { path: separate, url: source.url });
      if (gitDirExisted) throw new DestinationExistsError(`${o.separateGitDir} already exists`, { path: separate, url: source.url });
    }
    if (n.configProblem) {
      emit({ phase: 'note', message: `error: ${n.configProblem}\n`, always: true });
      throw new CloneError('unable to write parameters to config file', { url: source.url });
    }
    if (n.stickyProblem) throw n.stickyProblem;

    // remote.c: valid_remote_name — the name must make a valid ref below
    // refs/remotes/. git checks it after saying where it clones to.
    if (!n.remoteName || refNameProblem(`refs/remotes/${n.remoteName}/test`)) {
      throw new CloneError(`'${n.remoteName}' is not a valid remote name`, { url: source.url });
    }
    if (o.alsoFilterSubmodules && !n.filter) throw new CloneError("the option '--also-filter-submodules' requires '--filter'", { url: source.url });
    if (o.alsoFilterSubmodules && !n.submodulePathspecs.length) throw new CloneError("the option '--also-filter-submodules' requires '--recurse-submodules'", { url: source.url });
    const cfgLookup = (key: string) => lastValue(allConfig, key);
    // init.defaultBranch: guessing the remote's HEAD (repo_default_branch_name())
    // reads the new repository's config, -c values included; the initial branch
    // (init_db(), then kept for an empty clone by git_default_branch_name()'s
    // cache) is settled before they are written, from the user's config alone.
    const defaultBranch = cfgLookup('init.defaultBranch') ?? 'master';
    const initialBranch = lastValue(userConfig, 'init.defaultBranch') ?? 'master';
    const index = indexConfig(cfgLookup);
    if (refNameProblem(`refs/heads/${initialBranch}`)) throw new CloneError(`invalid branch name: init.defaultBranch = ${initialBranch}`, { url: source.url });
    const config: ConfigWriter = initRepository(gitDir, {
      bare: n.bare,
      initialBranch,
      template: chooseTemplate(o.template, env, userConfig, cwd),
      userConfig,
      onTemplateProblem: (level, message) => emit(level === 'warning' ? { phase: 'warning', message } : { phase: 'note', message: `error: ${message}\n`, always: true }),
    });
    if (sub) {
      config.set('core.worktree', sub.worktree);
      writeFileSync(join(dir, '.git'), `gitdir: ${sub.gitfile}\n`);
    } else if (separate) {
      // git writes the absolute path and no core.worktree (the gitfile is enough).
      writeFileSync(gitFile, `gitdir: ${gitDir}\n`);
    }
    // git records the work tree's real path (symbolic links resolved).
    if (envWorkTree !== undefined) config.set('core.worktree', realpathSync(workTree));
    for (const [k, v] of n.config) config.add(k, v);
    const r = n.remoteName;
    config.set(`remote.${r}.url`, source.url);
    if (o.noTags) config.set(`remote.${r}.tagOpt`, '--no-tags');
    writeConfig(gitDir, config);
    // builtin/clone.c runs `git sparse-checkout set` here, before the fetch.
    if (o.sparse) initSparseCheckout(gitDir, config, n.bare, source.url);
    // setup_reference(): the reference repositories' objects become alternates.
    const references = (o.reference ?? []).map((x) => (typeof x === 'string' ? { path: x } : x));
    addAlternates(gitDir, referenceObjectDirs(references, cwd, (message) => emit({ phase: 'note', message, always: true })));
    // clone_local() with --shared: the source's objects are borrowed, not copied.
    const shared = !!o.shared && source.local && !localShallow;
    const extraRefspecs = config.getAll(`remote.${r}.fetch`);
    const ident = committerIdent(cfgLookup, env);
    const msg = `clone: from ${source.display}`;

    if (source.local) {
      for (const [flag, set] of [['--depth', o.depth !== undefined], ['--shallow-since', !!o.shallowSince], ['--shallow-exclude', !!o.shallowExclude?.length], ['--filter', !!o.filter]] as const) {
        if (set) emit({ phase: 'warning', message: `${flag} is ignored in local clones; use file:// instead.` });
      }
    }
    // ...and only then is a shallow source refused, or read as a remote (builtin/clone.c).
    if (localShallow && n.rejectShallow) throw new CloneError('source repository is shallow, reject to clone.', { url: source.url });
    if (o.local && localShallow) emit({ phase: 'warning', message: 'source repository is shallow, ignoring --local' });
    if (o.local && (!source.local || localShallow)) emit({ phase: 'warning', message: '--local is ignored' });
    // transport_get(), after those warnings: protocol.<name>.allow and
    // $GIT_ALLOW_PROTOCOL apply to what the user typed too (a path is `file`);
    // a submodule's URL is not the user's, so `user` (file's default) refuses it.
    // A bundle is read from the file found, as git's transport_get(remote, path);
    // url.<base>.insteadOf applies to the transport's URL, remote.<name>.url keeps what was given.
    const transportUrl = source.bundle ?? (source.local ? source.url : rewriteUrl(source.url, allConfig));
    if (!transportAllowed(transportUrl, cfgLookup, env, !sub)) throw new CloneError(`transport '${transportName(transportUrl)}' not allowed`, { url: source.url });
    const deepen = n.deepen && !source.local;
    const filter = source.local ? undefined : n.filter;

    // fetch_bundle_uri(), before the remote is asked for anything.
    const bundled = o.bundleUri !== undefined ? await fetchBundleUri(o.bundleUri, gitDir, { cwd, env, config: new Map(allConfig), emit, index, signal: o.signal }) : null;
    throwIfAborted(o.signal);
    // builtin/clone.c reads the header of the file it found; one that is no bundle
    // is then taken for a repository, and upload-pack refuses it.
    if (source.bundle !== undefined && !isBundleFile(source.bundle)) {
      emit({ phase: 'note', message: `error: '${source.bundle}' does not look like a v2 or v3 bundle file\n`, always: true });
    }
    conn = await connect(transportUrl, { env, config: new Map(allConfig), signal: o.signal, uploadPack: o.uploadPack ?? (throughUploadPack ? 'git-upload-pack' : undefined), onStderr: stderrNotes(emit), ipFamily: o.ipFamily, verbose: o.verbose });
    // --server-option: for the server, so a local path read directly, or a bundle, takes none.
    const serverOptions = source.local || source.bundle !== undefined || !o.serverOptions?.length ? undefined : o.serverOptions;
    const adv = await conn.remote.advertise({ prefixes: lsRefsPrefixes(n, o, extraRefspecs), serverOptions });
    throwIfAborted(o.signal);
    const refused = serverOptions ? serverOptionsRefusal(adv.protocol, transportUrl) : null;
    if (refused) {
      emit({ phase: 'note', message: refused.hint, always: true });
      throw new CloneError(refused.message, { url: source.url });
    }
    // builtin/clone.c reads a bundle's header itself and refuses a partial one.
    if (source.bundle !== undefined && adv.capabilities.has('filter')) throw new CloneError('cannot clone from filtered bundle', { url: source.url, path: source.bundle });
    if (adv.objectFormat !== 'sha1') {
      // The pack indexer, the .idx writer and the checkout are SHA-1 only so far.
      throw new CloneError(`the remote repository uses ${adv.objectFormat === 'sha256' ? 'SHA-256' : adv.objectFormat} object names; wasmgit clones SHA-1 repositories only`, { url: source.url });
    }
    const refs: AdvertisedRef[] = adv.refs;
    const plan: RefPlan = planRefsWarning(refs, adv.headTarget, emit, {
      remoteName: r,
      bare: n.bare,
      mirror: n.mirror,
      singleBranch: n.singleBranch,
      noTags: !!o.noTags,
      branch: o.branch,
      extraRefspecs,
      defaultBranch,
      url: source.url,
    });

    if (plan.fetchRefspec) {
      config.add(`remote.${r}.fetch`, plan.fetchRefspec);
      if (n.mirror) config.set(`remote.${r}.mirror`, 'true');
    }
    if (n.filter) {
      // partial_clone_register(): the promisor remote and its filter; format version 1
      // so that older gits, which cannot lazily fetch, refuse the repository.
      // git registers it for a local clone too, where the filter itself is ignored.
      config.set('core.repositoryformatversion', '1');
      config.set(`remote.${r}.promisor`, 'true');
      config.set(`remote.${r}.partialclonefilter`, n.filter);
    }
    writeConfig(gitDir, config);

    // update_remote_refs() writes one packed-refs file for everything fetched.
    // Its text depends on the plan only: it is made while the server prepares
    // the pack, and written once the pack is in.
    const packedRefs = afterPendingIo(() => {
      const packed: PackedRef[] = [];
      for (const m of plan.mapped) if (m.local) packed.push({ name: m.local, oid: m.oid, peeled: m.peeled });
      return { packed, text: formatPackedRefs(packed) };
    });
    const packs: string[] = bundled?.pack ? [bundled.pack] : [];
    let shallow: string[] = [];
    const empty = plan.mapped.length === 0;
    if (shared) addAlternates(gitDir, [`${findGitDir(source.url)!.commonDir}/objects`]);
    const lending = references.length > 0 || !!bundled?.haves.length;
    // What is here already (the bundle's pack, the alternates), in one store: it
    // tells whether the fetch is needed at all, and completes a thin pack.
    const here = lending && !empty && !shared && !source.local ? await localBases(gitDir, packs) : undefined;
    try {
      // fetch-pack's everything_local(): what the alternates hold already is not fetched at all
      // (a bundle has no fetch-pack: git unbundles it whole whatever is borrowed).
      const borrowed = shared || (!!here && !deepen && source.bundle === undefined && plan.wants.every((oid) => here.has(oid)));
      if (borrowed && !empty && source.local && !localShallow) emit({ phase: 'note', message: 'done.\n' });
      // clone_local(): a local source's object files hardlinked (or copied) as they are, nothing read or indexed.
      const linkable = !empty && !borrowed && source.local && !localShallow && source.bundle === undefined && !references.length ? linkableObjects(source.url) : null;
      if (linkable) {
        packs.push(...linkObjects(linkable, gitDir, { hardlinks: o.hardlinks !== false, mustLink: o.local === true }));
        emit({ phase: 'note', message: 'done.\n' });
      } else if (!empty && !borrowed) {
        // A bundle's prerequisites are met by what the references lend, its thin pack completed from them.
        const lent = source.bundle !== undefined && references.length ? lentPrerequisites(source.bundle, here!) : undefined;
        const haves = lent ?? (lending && !source.local ? [...new Set([...(bundled?.haves ?? []), ...(references.length ? alternateHaves(gitDir) : [])])] : undefined);
        // With haves the server sends a thin pack, as it does for git (deltas against
        // what is here): the indexer completes it from the bundle's pack and the alternates.
        const thin = lent === undefined && !!haves?.length;
        const fetched = await fetchPack(conn, {
          gitDir,
          request: {
            wants: plan.wants,
            depth: source.local ? undefined : o.depth,
            shallowSince: source.local ? undefined : o.shallowSince,
            shallowExclude: source.local ? undefined : o.shallowExclude,
            filter,
            includeTag: plan.includeTag,
            haves: haves?.length ? haves : undefined,
            thinPack: thin,
            noProgress: !o.serverProgress,
            serverOptions,
            signal: o.signal,
          },
          // A bundle's pack is unbundled whole, not as a promisor pack (git writes no .promisor file).
          promisorRefs: filter && source.bundle === undefined ? plan.mapped.map((m) => `${m.oid} ${m.remote}\n`).join('') : undefined,
          index,
          emit,
          signal: o.signal,
          fixThin: lent !== undefined || thin ? here?.fixThin : undefined,
        }).catch((err) => {
          // The indexer speaks of offsets in the pack: say which file, and where its pack starts.
          if (source.bundle === undefined || err instanceof WasmgitError || err instanceof TransportError || o.signal?.aborted) throw err;
          throw new CloneError(bundlePackMessage(source.bundle, err), { url: source.url, path: source.bundle, cause: err });
        });
        if (fetched.pack) packs.push(fetched.pack);
        packs.push(...fetched.stored);
        // The new boundary of a deepening fetch, or the shallow source's own (as
        // git, which then writes it too: the clone is shallow where its source is).
        shallow = fetched.shallow;
        if (shallow.length && !deepen && n.rejectShallow) throw new CloneError('source repository is shallow, reject to clone.', { url: source.url });
        if (source.local && !localShallow) emit({ phase: 'note', message: 'done.\n' });
      }
    } finally {
      await here?.close();
    }
    throwIfAborted(o.signal);
    // write_remote_refs(): one ref transaction for every mapped ref, which
    // refuses a name written twice (after the fetch, as git's does).
    if (plan.duplicate) throw new CloneError(`multiple updates for ref '${plan.duplicate}' not allowed`, { url: source.url });

    objects = await openRepositoryObjects(gitDir, packs);
    // update_remote_refs(): one packed-refs file for everything fetched (written,
    // if only its header, whenever the remote listed any ref)...
    const { packed, text: planned } = await packedRefs;
    // A bundle names no peeled tags: they are read from the objects just fetched,
    // as git's packed-refs (fully-peeled) records them.
    let peeledAny = false;
    if (source.bundle !== undefined) for (const p of packed) if ((p.peeled = peelTag(objects, p.oid)) !== undefined) peeledAny = true;
    const packedText = peeledAny ? formatPackedRefs(packed) : planned;
    if (refs.length) writePackedRefs(gitDir, packedText);
    // A shallow source's boundary (no deepening asked): only the commits that
    // came are recorded, as fetch-pack's update_shallow() does for a clone.
    if (shallow.length && !deepen) shallow = shallow.filter((oid) => objects!.has(oid));
    if (shallow.length) writeShallow(gitDir, shallow);
    // ...then tags the server sent along (include-tag) as loose refs (write_followtags).
    if (n.singleBranch && !o.noTags) {
      const have = new Map(packed.map((p) => [p.name, p.oid]));
      for (const ref of refs) {
        if (!ref.name.startsWith('refs/tags/') || have.get(ref.name) === ref.oid) continue;
        if (!objects.has(ref.oid)) continue;
        writeLooseRef(gitDir, ref.name, ref.oid);
      }
    }
    // core.logAllRefUpdates as git reads it after init (a template's config or
    // the user's may have set it); unset, it means true in non-bare repositories.
    const logAll = lastValue([...userConfig, ...config.list()], 'core.logallrefupdates');
    const logRefs = logAll === undefined ? !n.bare : logAll.toLowerCase() === 'always' || configBool(logAll, 'core.logallrefupdates');
    if (plan.remoteHeadPointsAt && !n.bare) {
      const name = `${plan.branchTop}HEAD`;
      writeSymref(gitDir, name, plan.remoteHeadPointsAt.local!);
      if (logRefs) appendReflog(gitDir, name, ZERO_OID, plan.remoteHeadPointsAt.oid, ident, msg);
    }

    // update_head()
    let headOid: string | null = null;
    let headBranch: string | null = null;
    const our = plan.ourHead;
    if (our && our.remote.startsWith('refs/heads/')) {
      headBranch = our.remote;
      writeSymref(gitDir, 'HEAD', our.remote);
      headOid = our.oid;
      // create_symref() logs HEAD, with no message, when the branch already
      // exists: in a bare clone it does (fetched into refs/heads/), so HEAD's
      // reflog starts there when core.logAllRefUpdates asks for one.
      if (n.bare && logRefs) appendReflog(gitDir, 'HEAD', ZERO_OID, our.oid, ident, '');
      if (!n.bare) {
        writeLooseRef(gitDir, our.remote, our.oid);
        if (logRefs) appendReflog(gitDir, our.remote, ZERO_OID, our.oid, ident, msg);
        if (logRefs) appendReflog(gitDir, 'HEAD', ZERO_OID, our.oid, ident, msg);
        installBranchConfig(config, our.remote.slice('refs/heads/'.length), r, our.remote, cfgLookup);
      }
    } else if (our) {
      // --branch names a tag: detach HEAD at the commit it peels to.
      const commit = objects.peelToCommit(our.oid);
      if (!commit) throw new CloneError(`${our.remote} does not point to a commit`, { url: source.url });
      headOid = commit;
      writeFileSync(join(gitDir, 'HEAD'), `${commit}\n`);
      if (logRefs) appendReflog(gitDir, 'HEAD', ZERO_OID, commit, ident, msg);
    } else if (plan.remoteHead && !empty) {
      headOid = plan.remoteHead.oid;
      writeFileSync(join(gitDir, 'HEAD'), `${headOid}\n`);
      if (logRefs) appendReflog(gitDir, 'HEAD', ZERO_OID, headOid, ident, msg);
    } else {
      // Nothing to check out: an empty repository, or a remote HEAD naming an unborn branch.
      if (empty) {
        emit({ phase: 'warning', message: 'You appear to have cloned an empty repository.' });
        // git copies a local repository's object store even when it is empty, and says so after the warning.
        if (source.local) emit({ phase: 'note', message: 'done.\n' });
      } else if (!n.noCheckout) {
        emit({ phase: 'warning', message: 'remote HEAD refers to nonexistent ref, unable to checkout' });
      }
      const target = plan.unbornHead ?? `refs/heads/${initialBranch}`;
      assertRefName(target);
      if (plan.unbornHead || empty) writeSymref(gitDir, 'HEAD', target);
      if (!n.bare) installBranchConfig(config, target.slice('refs/heads/'.length), r, target, cfgLookup);
    }
    writeConfig(gitDir, config);
    // dissociate_from_references(), before the checkout: the borrowed objects come in
    // (git repacks only when there are alternates).
    if (o.dissociate && existsSync(join(gitDir, 'objects', 'info', 'alternates'))) {
      await objects.close();
      // The clone read as a local repository: every object its refs reach, into one pack.
      const kept = await dissociate(gitDir, async () => {
        const local = openLocal(gitDir, gitDir, { env, config: new Map(allConfig), signal: o.signal }, true);
        try {
          const wants = [...new Set((await local.advertise({})).refs.map((ref) => ref.oid))];
          if (!wants.length) return null;
          const r = await receivePack(local, gitDir, { wants, noProgress: true, signal: o.signal }, { emit: () => {}, index, signal: o.signal });
          return r.pack?.pack ?? null;
        } finally {
          await local.close();
        }
      });
      packs.splice(0, packs.length, ...kept);
      objects = await openRepositoryObjects(gitDir, packs);
      const repository = objects;
      writeServerInfo(gitDir, (oid) => peelTag(repository, oid));
    }
    throwIfAborted(o.signal);

    let files = 0;
    let submoduleFailure: SubmoduleError | null = null;
    if (!n.noCheckout && headOid) {
      if (!headBranch && cfgLookup('advice.detachedHead') !== 'false') emit({ phase: 'note', message: detachAdvice(headOid), always: true });
      const result = await checkoutHead(conn, objects, {
        gitDir,
        workTree,
        commit: headOid,
        ref: headBranch ?? undefined,
        // A bundle holds every object: nothing is left to fetch lazily.
        filter: source.bundle === undefined ? filter : undefined,
        sparse: !!o.sparse,
        emit,
        serverProgress: !!o.serverProgress,
        signal: o.signal,
        config: cfgLookup,
        env,
      });
      files = result.files;
      packs.push(...result.packs);
      if (n.submodulePathspecs.length) {
        // Done with the superproject's remote (git disconnects before its checkout):
        // no idle connection while the submodules are cloned.
        await conn.close();
        conn = null;
        try {
          await cloneSubmodules({
            superGitDir: gitDir,
            workTree,
            superUrl: source.url,
            config,
            userConfig,
            options: o,
            settings: { depth: o.shallowSubmodules ? 1 : undefined, singleBranch: n.singleBranch, jobs: o.jobs, filter: o.alsoFilterSubmodules ? n.filter : undefined, remote: !!o.remoteSubmodules },
            objects,
            commit: headOid,
            emit,
            clone: cloneRepository,
          });
        } catch (err) {
          // git's clone has done its own work by now (junk_mode = JUNK_LEAVE_REPO):
          // a submodule failure keeps the superproject; only an abort removes it.
          if (err instanceof AbortError || o.signal?.aborted) throw err;
          submoduleFailure = err instanceof SubmoduleError ? err : new SubmoduleError((err as Error).message, 128, { url: source.url, path: dir, cause: err });
        }
      }
    }
    await objects.close();
    objects = null;
    await conn?.close();
    conn = null;
    if (submoduleFailure) throw submoduleFailure;
    return { result: { directory: workTree, gitDir, url: source.url, head: headOid, branch: headBranch, files, packs }, config };
  } catch (err) {
    try {
      await objects?.close();
    } catch {
      /* closing after a failure */
    }
    try {
      await conn?.close();
    } catch {
      /* closing after a failure */
    }
    if (!(err instanceof SubmoduleError) || o.signal?.aborted) cleanup();
    if (o.signal?.aborted && !(err instanceof AbortError)) throw new AbortError('clone aborted', o.signal.reason);
    if (err instanceof WasmgitError) throw err;
    throw toCloneError(err, source.url);
  }
}

/**
 * `git sparse-checkout set` with no directory, as clone --sparse runs it
 * (builtin/sparse-checkout.c, git 2.39): the settings go to the work tree's own
 * config (init_worktree_config() turns on extensions.worktreeConfig), cone
 * mode is the default, and the cone with no directory is written as the
 * patterns "every top-level entry, no directory".
 */
function initSparseCheckout(gitDir: string, config: ConfigWriter, bare: boolean, url: string): void {
  if (bare) throw new SparseCheckoutError('this operation must be run in a work tree', { url, path: gitDir });
  config.set('extensions.worktreeConfig', 'true');
  writeConfig(gitDir, config);
  const worktreeConfig = new ConfigWriter();
  worktreeConfig.set('core.sparseCheckout', 'true');
  worktreeConfig.set('core.sparseCheckoutCone', 'true');
  writeFileSync(join(gitDir, 'config.worktree'), worktreeConfig.toString());
  writeFileSync(join(gitDir, 'info', 'sparse-checkout'), '/*\n!/*/\n');
}

/**
 * The prerequisites of the bundle at `path` that the new repository has
 * through its alternates (--reference), to be the bases of its thin pack
 * (index-pack --fix-thin, as git's unbundle runs it); undefined for a bundle
 * with none.
 */
function lentPrerequisites(path: string, here: { has(oid: string): boolean }): string[] | undefined {
  const prerequisites = readBundleHeader(path).prerequisites;
  if (!prerequisites.length) return undefined;
  return prerequisites.filter((p) => here.has(p.oid)).map((p) => p.oid);
}

/**
 * The objects a thin pack may lean on, for the indexer to complete it
 * (index-pack --fix-thin): those of `packs` already here and of the
 * alternates. close() when done.
 */
async function localBases(gitDir: string, packs: string[]): Promise<{ has(oid: string): boolean; fixThin: FixThinOptions; close(): Promise<void> }> {
  const store = await openRepositoryObjects(gitDir, packs);
  const lookup = (id: string) => {
    if (!store.has(id)) return null;
    const o = store.read(id);
    return { type: typeCode(o.type), data: o.data };
  };
  return { has: (oid) => store.has(oid), fixThin: { lookup }, close: () => store.close() };
}

/** What the tag `oid` peels to through any layers of tags (git's peel_object); undefined for a non-tag or a chain that ends in a missing object. */
function peelTag(objects: RepositoryObjects, oid: string): string | undefined {
  let id = oid;
  for (let depth = 0; depth < 100 && objects.has(id); depth++) {
    const o = objects.read(id);
    if (o.type !== 'tag') return id === oid ? undefined : id;
    const head = Buffer.from(o.data.buffer, o.data.byteOffset, Math.min(o.data.byteLength, 256)).toString('latin1');
    const m = /^object ([0-9a-f]{40})\n/.exec(head);
    if (!m) return undefined;
    id = m[1];
  }
  return undefined;
}

/**
 * builtin/clone.c: the leading directories of <directory>, then (for a work
 * tree) the directory itself, each failure in git's words and naming the
 * directory as typed. A git directory is made by init, with its parents.
 */
function createTarget(dir: string, shown: string, workTree: boolean, existed: boolean): void {
  try {
    mkdirSync(dirname(dir), { recursive: true });
  } catch (err) {
    // die_errno() for a work tree, die() for a bare repository's git directory.
    // A file in the way is EEXIST to Node's recursive mkdir, ENOTDIR to git's walk.
    const why = !workTree ? null : (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'Not a directory' : systemErrorReason(err);
    throw new CloneError(`could not create leading directories of '${shown}'${why ? `: ${why}` : ''}`, { path: dir, cause: err });
  }
  if (existed) return;
  if (!workTree) return void mkdirSync(dir, { recursive: true });
  try {
    mkdirSync(dir);
  } catch (err) {
    throw new CloneError(`could not create work tree dir '${shown}': ${systemErrorReason(err) ?? (err as Error).message}`, { path: dir, cause: err });
  }
}

/** The first directory on the way to `typed` (relative to `cwd`) that is not there, as git's realpath reports it; a trailing slash makes the last one needed too. */
function missingParent(typed: string, cwd: string): string | undefined {
  // Walked as typed, so `..` goes through what is really there.
  const parts = (isAbsolute(typed) ? typed : `${cwd}/${typed}`).split('/');
  const needed = typed.endsWith('/') ? parts.length : parts.length - 1;
  for (let i = 2; i <= needed; i++) {
    const p = parts.slice(0, i).join('/');
    if (p && !existsSync(p)) return resolve(p);
  }
  return undefined;
}

/** planRefs(), with the warning git's wanted_peer_refs() gives first when a single-branch clone's --branch is not there. */
function planRefsWarning(refs: AdvertisedRef[], headTarget: string | undefined, emit: (e: CloneEvent) => void, o: Parameters<typeof planRefs>[2]): RefPlan {
  try {
    return planRefs(refs, headTarget, o);
  } catch (err) {
    // (Not for an exact remote.<name>.fetch source the clone did not find: git dies on that alone.)
    if (err instanceof RefNotFoundError && o.singleBranch && refs.length && o.branch !== undefined && err.ref === o.branch) emit({ phase: 'warning', message: `Could not find remote branch ${o.branch} to clone.` });
    throw err;
  }
}

/** What git's index-pack reads from the new repository's config: pack.threads (0 = one per core) and core.deltaBaseCacheLimit. */
function indexConfig(cfg: (key: string) => string | undefined): IndexSettings {
  const t = cfg('pack.threads');
  const c = cfg('core.deltaBaseCacheLimit');
  const threads = t === undefined ? 0 : configNumber(t, 'pack.threads');
  const cacheLimit = c === undefined ? 0 : configNumber(c, 'core.deltabasecachelimit');
  return { threads: threads > 0 ? threads : undefined, cacheLimit: cacheLimit > 0 ? cacheLimit : undefined };
}

function toCloneError(err: unknown, url: string): WasmgitError {
  const e = err as { message?: string; name?: string };
  return new CloneError(systemErrorMessage(err) ?? e?.message ?? String(err), { url, cause: err });
}

// branch.c: install_branch_config — the new branch tracks the remote's branch of the same name.
function installBranchConfig(config: ConfigWriter, branch: string, remote: string, merge: string, cfg: (k: string) => string | undefined): void {
  config.set(`branch.${branch}.remote`, remote);
  config.set(`branch.${branch}.merge`, merge);
  const rebase = cfg('branch.autoSetupRebase');
  if (rebase === 'always' || rebase === 'remote') config.set(`branch.${branch}.rebase`, 'true');
}

function detachAdvice(oid: string): string {
  return `Note: switching to '${oid}'.

You are in 'detached HEAD' state. You can look around, make experimental
changes and commit them, and you can discard any commits you make in this
state without impacting any branches by switching back to a branch.

If you want to create a new branch to retain commits you create, you may
do so (now or later) by using -c with the switch command. Example:

  git switch -c <new-branch-name>

Or undo this operation with:

  git switch -

Turn off this advice by setting config variable advice.detachedHead to false

`;
}


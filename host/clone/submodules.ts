// `clone --recurse-submodules[=<pathspec>]`: what git 2.39's clone runs after
// the superproject's checkout, `git submodule update --init --recursive`
// (builtin/submodule--helper.c), in its three steps:
//   1. init: each gitlink of HEAD's tree that .gitmodules names and that is
//      active (submodule.<name>.active, else the submodule.active pathspecs,
//      else a configured URL) gets submodule.<name>.url (a relative URL
//      resolved against the superproject's remote), `update` copied from
//      .gitmodules, and — where nothing made it active — submodule.<name>.active;
//   2. clone all of them, up to `jobs` at a time (`git clone --no-checkout`
//      into .git/modules/<name>, a `.git` file in the work tree, core.worktree,
//      --depth 1 for --shallow-submodules or `shallow = true` in .gitmodules),
//      a failed clone retried once after the others;
//   3. for each, in index order: fetch the recorded commit directly when the
//      clone did not bring it (a commit that is not a branch tip, below a
//      shallow tip), detach HEAD there, check it out, and recurse.
// As in git, the superproject stays when a submodule fails: a clone that fails
// twice stops before any checkout (exit status 1), a commit the remote cannot
// give stops at that submodule (128), a failure inside a nested submodule is
// reported and the others go on (1). Those surface as SubmoduleError.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { AbortError, CloneError, SubmoduleError } from '../errors.ts';
import { configBool, lastValue, parseConfig, type ConfigWriter } from '../repo/config.ts';
import { writeConfig } from '../repo/init.ts';
import { committerIdent } from '../repo/ident.ts';
import { appendReflog, writeShallow, ZERO_OID } from '../repo/refs.ts';
import { readRefs, resolveRef } from '../transport/local-repo.ts';
import { parsePathspec, type Pathspec } from './pathspec.ts';
import { anonymizeUrl, resolveSource } from './source.ts';
import { checkoutHead, connect, openRepositoryObjects, receivePack, stderrNotes, type RepositoryObjects } from './pieces.ts';
import type { CloneEvent, CloneOptions, CloneResult } from '../clone.ts';
import type { TreeEntry } from '../core/tree.ts';

export interface Submodule {
  name: string;
  path: string;
  url?: string;
  update?: string;
  /** `shallow = true`: git clones it with --depth 1 (submodule.<name>.shallow in gitmodules(5)). */
  shallow?: boolean;
  /** The remote branch `--remote` follows (`.`: the superproject's current branch). */
  branch?: string;
}

/** Submodules declared in .gitmodules text, in file order (those without a path are skipped, as git does). */
export function parseGitmodules(text: string): Submodule[] {
  const byName = new Map<string, Submodule>();
  for (const [key, value] of parseConfig(text, '.gitmodules')) {
    const m = /^submodule\.(.+)\.(path|url|update|shallow|branch)$/s.exec(key);
    if (!m) continue;
    const s = byName.get(m[1]) ?? { name: m[1], path: '' };
    if (m[2] === 'shallow') s.shallow = configBool(value, key);
    else s[m[2] as 'path' | 'url' | 'update' | 'branch'] = value;
    byName.set(m[1], s);
  }
  return [...byName.values()].filter((s) => !!s.path);
}

/**
 * submodule--helper.c: resolve_relative_url — `./x` and `../x` are taken
 * relative to the superproject's remote URL (each `../` strips one component;
 * for an scp-like or local URL the separator can be ':' too).
 */
export function resolveSubmoduleUrl(url: string, superUrl: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  let base = superUrl.replace(/\/+$/, '');
  if (base.endsWith('/.git')) base = base.slice(0, -5);
  let rel = url;
  let colonSep = false;
  for (;;) {
    if (rel.startsWith('../')) {
      rel = rel.slice(3);
      const slash = base.lastIndexOf('/');
      const colon = base.lastIndexOf(':');
      const cut = Math.max(slash, colon);
      if (cut < 0) {
        base = '.';
        continue;
      }
      // Stop at the authority of a scheme://host URL, as git does.
      if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*$/.test(base)) throw new CloneError(`cannot strip one component off url '${superUrl}'`, { url: superUrl });
      colonSep = cut === colon && cut > slash;
      base = base.slice(0, cut);
    } else if (rel.startsWith('./')) {
      rel = rel.slice(2);
    } else break;
  }
  return `${base}${colonSep ? ':' : '/'}${rel}`;
}

/** What the recursion carries down, as `git submodule update` passes its options to the nested one. */
export interface SubmoduleSettings {
  /** --shallow-submodules: --depth 1 for every submodule clone and direct fetch. */
  depth?: number;
  /** The superproject clone's --[no-]single-branch (git 2.39 always passes one of the two). */
  singleBranch: boolean;
  /** -j; undefined: submodule.fetchJobs, else 1. */
  jobs?: number;
  /** --also-filter-submodules: the superproject's --filter, for each submodule clone (and its checkout's lazy fetch). */
  filter?: string;
  /** --remote-submodules: check out each submodule's remote-tracking branch instead of the recorded commit. */
  remote?: boolean;
}

export interface SubmoduleContext {
  superGitDir: string;
  workTree: string;
  superUrl: string;
  /** The superproject's config, which init adds to. */
  config: ConfigWriter;
  userConfig: [string, string][];
  /** The superproject clone's options: environment, progress, signal. */
  options: CloneOptions;
  settings: SubmoduleSettings;
  objects: RepositoryObjects;
  commit: string;
  /** Prefix of the paths shown in messages (`a/` inside submodule `a`). */
  displayPrefix?: string;
  emit(e: CloneEvent): void;
  clone(o: CloneOptions): Promise<{ result: CloneResult; config: ConfigWriter }>;
}

interface Planned {
  sub: Submodule;
  display: string;
  commit: string;
  url: string;
  shallow: boolean;
  gitDir: string;
  workTree: string;
  cloned?: { result: CloneResult; config: ConfigWriter };
}

/** The commits the gitlinks at `want` (paths) of a tree record; paths without a gitlink are left out. */
function gitlinks(objects: RepositoryObjects, tree: string, want: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of want) {
    const dir = posix.dirname(path);
    const entries: TreeEntry[] | null = objects.treeAt(tree, dir === '.' ? '' : dir);
    const entry = entries?.find((e) => e.name.toString('utf8') === posix.basename(path));
    if (entry && entry.mode === 0o160000) out.set(path, entry.id.toString('hex'));
  }
  return out;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export async function cloneSubmodules(ctx: SubmoduleContext): Promise<void> {
  const gm = join(ctx.workTree, '.gitmodules');
  if (!existsSync(gm)) return;
  const env = ctx.options.env ?? process.env;
  const prefix = ctx.displayPrefix ?? '';
  const fatal = (message: string): never => {
    throw new SubmoduleError(message, 128, { url: ctx.superUrl, path: ctx.workTree });
  };
  const all = () => [...ctx.userConfig, ...ctx.config.list()];
  const cfg = (k: string) => lastValue(all(), k);
  const active = all().filter(([k]) => k === 'submodule.active').map(([, v]) => v);
  let activeSpec: Pathspec | null = null;
  if (active.length) {
    try {
      activeSpec = parsePathspec(active);
    } catch (err) {
      fatal((err as Error).message);
    }
  }
  // submodule.c: is_tree_submodule_active.
  const isActive = (sub: Submodule) => {
    const own = cfg(`submodule.${sub.name}.active`);
    if (own !== undefined) return configBool(own, `submodule.${sub.name}.active`);
    if (activeSpec) return activeSpec.matches(sub.path, true);
    return cfg(`submodule.${sub.name}.url`) !== undefined;
  };

  const declared = parseGitmodules(readFileSync(gm, 'utf8'));
  const tree = ctx.objects.commitTree(ctx.commit);
  const links = gitlinks(ctx.objects, tree, new Set(declared.map((s) => s.path)));
  const subs = declared.filter((s) => links.has(s.path)).sort((a, b) => byteOrder(a.path, b.path));

  // 1. init (module_init): with submodule.active set, only the active ones; else all of them.
  for (const sub of activeSpec ? subs.filter(isActive) : subs) {
    const display = prefix + sub.path;
    if (!isActive(sub)) ctx.config.set(`submodule.${sub.name}.active`, 'true');
    if (cfg(`submodule.${sub.name}.url`) === undefined) {
      if (sub.url === undefined) fatal(`No url found for submodule path '${display}' in .gitmodules`);
      const url = resolveSubmoduleUrl(sub.url!, ctx.superUrl);
      ctx.config.set(`submodule.${sub.name}.url`, url);
      ctx.emit({ phase: 'note', message: `Submodule '${sub.name}' (${url}) registered for path '${display}'\n` });
    }
    if (sub.update !== undefined && cfg(`submodule.${sub.name}.update`) === undefined) {
      if (!['checkout', 'rebase', 'merge', 'none'].includes(sub.update)) fatal(`invalid value for 'submodule.${sub.name}.update'`);
      ctx.config.set(`submodule.${sub.name}.update`, sub.update);
    }
  }
  writeConfig(ctx.superGitDir, ctx.config);

  // 2. clone (update_clone): the active submodules whose update mode is not `none`.
  const plan: Planned[] = [];
  for (const sub of subs) {
    if (!isActive(sub)) continue;
    const display = prefix + sub.path;
    const update = cfg(`submodule.${sub.name}.update`);
    if (update === 'none') {
      ctx.emit({ phase: 'note', message: `Skipping submodule '${display}'\n` });
      continue;
    }
    if (update?.startsWith('!')) fatal(`submodule.${sub.name}.update names a command, which wasmgit does not run`);
    const gitDir = join(ctx.superGitDir, 'modules', sub.name);
    plan.push({
      sub,
      display,
      commit: links.get(sub.path)!,
      url: cfg(`submodule.${sub.name}.url`)!,
      shallow: !!sub.shallow,
      gitDir,
      workTree: join(ctx.workTree, sub.path),
    });
  }
  if (!plan.length) return;
  let jobs = ctx.settings.jobs;
  if (jobs === undefined || jobs < 0) jobs = Number(cfg('submodule.fetchJobs') ?? 1);
  if (!Number.isInteger(jobs) || jobs < 0) fatal(`bad numeric config value '${cfg('submodule.fetchJobs')}' for 'submodule.fetchjobs'`);
  if (jobs === 0) jobs = availableParallelism();
  await cloneAll(ctx, plan, jobs, env, cfg);

  // 3. update each, in order; a failure inside a nested submodule is reported and the rest go on.
  let recursionFailed: string | null = null;
  for (const p of plan) {
    const objects = await openRepositoryObjects(p.gitDir, p.cloned!.result.packs);
    try {
      await checkoutSubmodule(ctx, p, objects, env);
      try {
        await cloneSubmodules({
          ...ctx,
          superGitDir: p.gitDir,
          workTree: p.workTree,
          superUrl: p.url,
          config: p.cloned!.config,
          objects,
          commit: p.commit,
          displayPrefix: `${p.display}/`,
        });
      } catch (err) {
        // The nested `git submodule update` exited non-zero: say why unless it already did.
        if (err instanceof AbortError || ctx.options.signal?.aborted) throw err;
        if (!(err instanceof SubmoduleError) || err.exitCode === 128) ctx.emit({ phase: 'note', message: `fatal: ${(err as Error).message}\n`, always: true });
        recursionFailed = `Failed to recurse into submodule path '${p.display}'`;
        ctx.emit({ phase: 'note', message: `fatal: ${recursionFailed}\n`, always: true });
      }
    } finally {
      await objects.close();
    }
  }
  if (recursionFailed) throw new SubmoduleError(recursionFailed, 1, { url: ctx.superUrl, path: ctx.workTree });
}

/**
 * Step 2: clones up to `jobs` submodules at a time. As git's parallel runner
 * does, the oldest running clone prints as it goes and the others' output is
 * held until it is their turn, so the text never interleaves.
 */
async function cloneAll(ctx: SubmoduleContext, plan: Planned[], jobs: number, env: NodeJS.ProcessEnv, cfg: (k: string) => string | undefined): Promise<void> {
  const queue = plan.map((p) => ({ p, attempt: 1 }));
  const running: { events: CloneEvent[]; done: boolean }[] = [];
  const flush = () => {
    while (running.length) {
      const head = running[0];
      for (const e of head.events.splice(0)) ctx.emit(e);
      if (!head.done) return;
      running.shift();
    }
  };
  let failed: string | null = null;
  let next = 0;
  const { options, settings } = ctx;

  const one = async (task: { p: Planned; attempt: number }) => {
    const slot = { events: [] as CloneEvent[], done: false };
    running.push(slot);
    const emit = (e: CloneEvent) => {
      slot.events.push(e);
      if (running[0] === slot) flush();
    };
    const { p } = task;
    try {
      // submodule--helper makes the leading directories of the git directory
      // before its clone (which refuses a `file` URL, git ≥ 2.38.1, unless
      // protocol.file.allow=always); they stay if the clone fails.
      mkdirSync(dirname(p.gitDir), { recursive: true });
      p.cloned = await ctx.clone({
        repository: p.url,
        directory: p.workTree,
        cwd: ctx.workTree,
        env,
        noCheckout: true,
        depth: settings.depth ?? (p.shallow ? 1 : undefined),
        singleBranch: settings.singleBranch,
        filter: settings.filter,
        serverProgress: options.serverProgress,
        onProgress: emit,
        signal: options.signal,
        submodule: { gitDir: p.gitDir, worktree: relative(p.gitDir, p.workTree), gitfile: relative(p.workTree, p.gitDir) },
      });
    } catch (err) {
      if (err instanceof AbortError || options.signal?.aborted) throw err;
      emit({ phase: 'note', message: `fatal: ${(err as Error).message}\nfatal: clone of '${p.url}' into submodule path '${p.workTree}' failed\n`, always: true });
      if (task.attempt === 1) {
        emit({ phase: 'note', message: `Failed to clone '${p.sub.path}'. Retry scheduled\n`, always: true });
        queue.push({ p, attempt: 2 });
      } else {
        failed = `Failed to clone '${p.sub.path}' a second time, aborting`;
        emit({ phase: 'note', message: `${failed}\n`, always: true });
      }
    } finally {
      slot.done = true;
      if (running[0] === slot) flush();
    }
  };

  // A pool of `jobs` workers taking tasks in order; after a second failure no new clone starts.
  const worker = async () => {
    while (!failed && next < queue.length) await one(queue[next++]);
  };
  const workers = Array.from({ length: Math.max(1, Math.min(jobs, plan.length)) }, worker);
  const results = await Promise.allSettled(workers);
  flush();
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  if (failed) throw new SubmoduleError(failed, 1, { url: ctx.superUrl, path: ctx.workTree });
}

/**
 * Step 3 for one submodule (update_submodule, update mode "checkout"): make
 * sure the recorded commit is there, detach HEAD at it, check it out.
 */
async function checkoutSubmodule(ctx: SubmoduleContext, p: Planned, objects: RepositoryObjects, env: NodeJS.ProcessEnv): Promise<void> {
  const { result, config } = p.cloned!;
  const lookup = (k: string) => lastValue([...ctx.userConfig, ...config.list()], k);
  // What is checked out (and recursed into) is then the branch's tip, which the clone brought.
  if (ctx.settings.remote) p.commit = remoteTip(ctx, p);
  else if (!objects.has(p.commit)) await fetchCommit(ctx, p, objects, env);
  // `git checkout -q <commit>`: HEAD detached, logged as a move from the branch the clone made.
  const ident = committerIdent(lookup, env);
  const from = result.branch ? result.branch.slice('refs/heads/'.length) : (result.head ?? p.commit);
  writeFileSync(join(p.gitDir, 'HEAD'), `${p.commit}\n`);
  appendReflog(p.gitDir, 'HEAD', result.head ?? ZERO_OID, p.commit, ident, `checkout: moving from ${from} to ${p.commit}`);
  // A partial clone's checkout fetches the blobs it lacks from the submodule's remote, as git's lazy fetch does.
  const filter = ctx.settings.filter;
  const lazy = filter ? await connect(p.url, { env, config: new Map([...ctx.userConfig, ...config.list()]), signal: ctx.options.signal, onStderr: stderrNotes(ctx.emit) }) : null;
  try {
    await checkoutHead(lazy, objects, { gitDir: p.gitDir, workTree: p.workTree, commit: p.commit, filter, emit: ctx.emit, serverProgress: !!ctx.options.serverProgress, signal: ctx.options.signal, config: lookup, env });
  } catch (err) {
    if (err instanceof AbortError || ctx.options.signal?.aborted) throw err;
    ctx.emit({ phase: 'note', message: `error: ${(err as Error).message}\n`, always: true });
    throw new SubmoduleError(`Unable to checkout '${p.commit}' in submodule path '${p.display}'`, 128, { url: p.url, path: p.workTree, cause: err });
  } finally {
    await lazy?.close();
  }
  // git's submodule--helper prints this one line on stdout.
  ctx.emit({ phase: 'note', message: `Submodule path '${p.display}': checked out '${p.commit}'\n`, stdout: true });
}

/**
 * `--remote` (submodule--helper.c: update_submodule): the commit at
 * refs/remotes/<remote>/<branch> of the submodule just cloned. The branch is
 * submodule.<name>.branch from the superproject's config, else from
 * .gitmodules, else HEAD (the remote's default branch); `.` means the branch
 * the superproject is on (remote_submodule_branch). The remote is the one the
 * submodule's branch tracks, else origin. git first fetches, which right after
 * the clone brings nothing new, so that is skipped.
 */
function remoteTip(ctx: SubmoduleContext, p: Planned): string {
  const fatal = (message: string): never => {
    throw new SubmoduleError(message, 128, { url: p.url, path: p.workTree });
  };
  const superCfg = (k: string) => lastValue([...ctx.userConfig, ...ctx.config.list()], k);
  let branch = superCfg(`submodule.${p.sub.name}.branch`) ?? p.sub.branch ?? 'HEAD';
  if (branch === '.') {
    const head = readFileSync(join(ctx.superGitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) fatal(`Submodule (${p.sub.name}) branch configured to inherit branch from superproject, but the superproject is not on any branch`);
    const ref = head.slice(5);
    if (!ref.startsWith('refs/heads/')) fatal(`Expecting a full ref name, got ${ref}`);
    branch = ref.slice('refs/heads/'.length);
  }
  const own = p.cloned!.result.branch;
  const remote = (own && lastValue(p.cloned!.config.list(), `branch.${own.slice('refs/heads/'.length)}.remote`)) || 'origin';
  const name = `refs/remotes/${remote}/${branch}`;
  const { refs } = readRefs(p.gitDir, p.gitDir);
  const value = refs.values.get(name);
  const tip = value === undefined ? null : resolveRef(refs.values, value);
  if (!tip) return fatal(`Unable to find ${name} revision in submodule path '${p.display}'`);
  return tip.oid;
}

/**
 * The recorded commit is not in what the clone fetched (not a branch tip's
 * ancestor, or below the shallow boundary): `git fetch [--depth=N] origin <commit>`.
 * git first runs a plain fetch of the configured refspecs, which right after
 * the clone brings nothing new, so it is skipped. No haves are sent: the
 * server then needs no knowledge of our shallow boundary, and the commit
 * arrives with its history (or with depth N), as git's fetch gets it.
 */
async function fetchCommit(ctx: SubmoduleContext, p: Planned, objects: RepositoryObjects, env: NodeJS.ProcessEnv): Promise<void> {
  // fetch truncates FETCH_HEAD before it talks to the remote.
  writeFileSync(join(p.gitDir, 'FETCH_HEAD'), '');
  const local = resolveSource(p.url, ctx.workTree).local;
  const depth = local ? undefined : ctx.settings.depth;
  const failed = (err?: unknown): never => {
    if (err instanceof AbortError || ctx.options.signal?.aborted) throw err;
    if (err) ctx.emit({ phase: 'note', message: `fatal: ${(err as Error).message}\n`, always: true });
    throw new SubmoduleError(`Fetched in submodule path '${p.display}', but it did not contain ${p.commit}. Direct fetching of that commit failed.`, 128, {
      url: p.url,
      path: p.workTree,
      cause: err,
    });
  };
  const config = new Map<string, string>([...ctx.userConfig, ...p.cloned!.config.list()]);
  let conn;
  try {
    conn = await connect(p.url, { env, config, signal: ctx.options.signal, onStderr: stderrNotes(ctx.emit) });
  } catch (err) {
    return failed(err);
  }
  try {
    const r = await receivePack(
      conn.remote,
      p.gitDir,
      { wants: [p.commit], depth, noProgress: !ctx.options.serverProgress, signal: ctx.options.signal },
      { emit: ctx.emit, signal: ctx.options.signal },
    );
    if (r.pack) objects.addPacks([r.pack.pack]);
    if (depth !== undefined && r.shallow.length) {
      const file = join(p.gitDir, 'shallow');
      const had = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
      writeShallow(p.gitDir, [...had, ...r.shallow]);
    }
  } catch (err) {
    failed(err);
  } finally {
    await conn.close();
  }
  if (!objects.has(p.commit)) failed();
  // fetch.c: append_fetch_head — the URL without credentials, trailing slashes and ".git".
  let url = anonymizeUrl(p.url).replace(/\/+$/, '');
  if (url.endsWith('.git') && url.length > 5) url = url.slice(0, -4);
  writeFileSync(join(p.gitDir, 'FETCH_HEAD'), `${p.commit}\t\t'${p.commit}' of ${url}\n`);
  ctx.emit({ phase: 'note', message: `From ${url}\n * branch            ${p.commit} -> FETCH_HEAD\n` });
}

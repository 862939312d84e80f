// `clone --recurse-submodules`: what `git submodule update --init --recursive`
// does after the superproject's checkout (builtin/submodule--helper.c):
// for each submodule in .gitmodules whose gitlink is in HEAD's tree,
//   - register it: submodule.<name>.url (relative URLs resolved against the
//     superproject's remote) in the superproject's config;
//   - clone it with the same machinery, its git directory in
//     .git/modules/<name>, a `.git` file in its work tree, core.worktree set;
//   - detach its HEAD at the recorded commit and check that out;
//   - and recurse into its own submodules.
import { readFileSync, existsSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { CloneError } from '../errors.ts';
import { parseConfig, type ConfigWriter } from '../repo/config.ts';
import { writeConfig } from '../repo/init.ts';
import type { CloneEvent, CloneOptions } from '../clone.ts';
import type { RepositoryObjects } from './pieces.ts';

export interface Submodule {
  name: string;
  path: string;
  url: string;
}

/** Submodules declared in .gitmodules text, in file order. */
export function parseGitmodules(text: string): Submodule[] {
  const byName = new Map<string, Partial<Submodule>>();
  for (const [key, value] of parseConfig(text, '.gitmodules')) {
    const m = /^submodule\.(.+)\.(path|url)$/s.exec(key);
    if (!m) continue;
    const s = byName.get(m[1]) ?? { name: m[1] };
    s[m[2] as 'path' | 'url'] = value;
    byName.set(m[1], s);
  }
  return [...byName.values()].filter((s): s is Submodule => !!s.path && !!s.url);
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

/** protocol.<name>.allow / protocol.allow: a submodule may not use `file` unless the user said `always` (git ≥ 2.38.1). */
function protocolAllowed(url: string, cfg: (k: string) => string | undefined, env: NodeJS.ProcessEnv): boolean {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase() ?? (/^[^/]*:/.test(url) && !url.startsWith('/') ? 'ssh' : 'file');
  if (env.GIT_ALLOW_PROTOCOL !== undefined) return env.GIT_ALLOW_PROTOCOL.split(':').includes(scheme);
  const policy = cfg(`protocol.${scheme}.allow`) ?? cfg('protocol.allow') ?? (['http', 'https', 'git', 'ssh'].includes(scheme) ? 'always' : scheme === 'file' ? 'user' : 'never');
  // "user" means allowed only when the user typed the URL, which a submodule's is not.
  return policy === 'always';
}

export interface SubmoduleContext {
  superGitDir: string;
  workTree: string;
  superUrl: string;
  config: ConfigWriter;
  userConfig: [string, string][];
  options: CloneOptions;
  objects: RepositoryObjects;
  commit: string;
  emit(e: CloneEvent): void;
  clone(o: CloneOptions): Promise<unknown>;
}

export async function cloneSubmodules(ctx: SubmoduleContext): Promise<void> {
  const gm = join(ctx.workTree, '.gitmodules');
  if (!existsSync(gm)) return;
  const subs = parseGitmodules(readFileSync(gm, 'utf8'));
  const tree = ctx.objects.commitTree(ctx.commit);
  const cfg = (k: string) => {
    const key = k.toLowerCase();
    let v: string | undefined;
    for (const [kk, vv] of [...ctx.userConfig, ...ctx.config.list()]) if (kk.toLowerCase() === key) v = vv;
    return v;
  };
  const env = ctx.options.env ?? process.env;
  const todo: { sub: Submodule; commit: string; url: string }[] = [];
  for (const sub of subs) {
    const entries = ctx.objects.treeAt(tree, posix.dirname(sub.path) === '.' ? '' : posix.dirname(sub.path));
    const entry = entries?.find((e) => e.name.toString('utf8') === posix.basename(sub.path));
    if (!entry || entry.mode !== 0o160000) continue;
    const url = resolveSubmoduleUrl(sub.url, ctx.superUrl);
    ctx.config.set(`submodule.${sub.name}.url`, url);
    writeConfig(ctx.superGitDir, ctx.config);
    ctx.emit({ phase: 'note', message: `Submodule '${sub.name}' (${url}) registered for path '${sub.path}'\n` });
    todo.push({ sub, commit: entry.id.toString('hex'), url });
  }
  for (const { sub, commit, url } of todo) {
    if (!protocolAllowed(url, cfg, env)) {
      throw new CloneError(`transport '${/^file:|^\//.test(url) || !url.includes(':') ? 'file' : url.split(':')[0]}' not allowed\nfatal: clone of '${url}' into submodule path '${join(ctx.workTree, sub.path)}' failed`, { url, path: sub.path });
    }
    const moduleGitDir = join(ctx.superGitDir, 'modules', sub.name);
    const subTree = join(ctx.workTree, sub.path);
    try {
      await ctx.clone({
        repository: url,
        directory: subTree,
        cwd: ctx.workTree,
        env,
        serverProgress: ctx.options.serverProgress,
        onProgress: ctx.options.onProgress,
        signal: ctx.options.signal,
        recurseSubmodules: true,
        submodule: { gitDir: moduleGitDir, commit, worktree: relative(moduleGitDir, subTree), gitfile: relative(subTree, moduleGitDir) },
      });
    } catch (err) {
      const msg = (err as Error).message;
      throw new CloneError(`${msg}\nfatal: clone of '${url}' into submodule path '${subTree}' failed`, { url, path: sub.path, cause: err });
    }
    ctx.emit({ phase: 'note', message: `Submodule path '${sub.path}': checked out '${commit}'\n` });
  }
}


// Which remote refs a clone fetches and what it names them locally
// (builtin/clone.c: wanted_peer_refs, guess_remote_head via remote.c,
// find_remote_branch, write_refspec_config). Pure functions over the ref
// advertisement, so every option combination is testable without a server.
import { RefNotFoundError } from '../errors.ts';
import { assertRefName } from '../repo/refname.ts';

export interface AdvertisedRef {
  name: string;
  oid: string;
  peeled?: string;
  symrefTarget?: string;
}

/** A remote ref chosen for fetching; `local` is where it is stored (none for HEAD, fetched only as a want). */
export interface MappedRef {
  remote: string;
  local?: string;
  oid: string;
  peeled?: string;
}

export interface Refspec {
  force: boolean;
  src: string;
  dst: string;
}

export function parseRefspec(spec: string): Refspec {
  const force = spec.startsWith('+');
  const body = force ? spec.slice(1) : spec;
  const colon = body.indexOf(':');
  return colon < 0 ? { force, src: body, dst: '' } : { force, src: body.slice(0, colon), dst: body.slice(colon + 1) };
}

/**
 * `spec` made ready to map many names: a function giving the name `name` maps
 * to (one '*' on each side matches any run of characters, put back literally),
 * or null when `spec` does not match it.
 */
function compileRefspec(spec: Refspec): (name: string) => string | null {
  const { src, dst } = spec;
  const star = src.indexOf('*');
  if (star < 0) return (name) => (name === src ? dst : null);
  const pre = src.slice(0, star);
  const post = src.slice(star + 1);
  const min = pre.length + post.length;
  const dstStar = dst.indexOf('*');
  const dstPre = dstStar < 0 ? dst : dst.slice(0, dstStar);
  const dstPost = dstStar < 0 ? '' : dst.slice(dstStar + 1);
  // refs/tags/*:refs/tags/* and other specs mapping names to themselves hand back the name itself.
  const same = src === dst;
  return (name) => {
    if (name.length < min || !name.startsWith(pre) || !name.endsWith(post)) return null;
    if (same) return name;
    if (dstStar < 0) return dst;
    return dstPre + name.slice(pre.length, name.length - post.length) + dstPost;
  };
}

/** refs.c's ref_rev_parse_rules: the full names a short name may stand for, most specific first. */
const REV_PARSE_RULES: ((name: string) => string)[] = [
  (n) => n,
  (n) => `refs/${n}`,
  (n) => `refs/tags/${n}`,
  (n) => `refs/heads/${n}`,
  (n) => `refs/remotes/${n}`,
  (n) => `refs/remotes/${n}/HEAD`,
];

/** expand_ref_prefix(): the ls-refs prefixes that a refspec's exact source name may match. */
export function expandRefPrefix(name: string): string[] {
  return REV_PARSE_RULES.map((rule) => rule(name));
}

/**
 * remote.c's find_ref_by_name_abbrev(): the ref that `name` names, the one
 * matched by the earliest rule winning (and the first such ref on a tie).
 */
function findRefByAbbrev<T extends { name: string }>(refs: T[], name: string): T | undefined {
  let best: T | undefined;
  let bestScore = 0;
  for (const r of refs) {
    const i = REV_PARSE_RULES.findIndex((rule) => rule(name) === r.name);
    const score = i < 0 ? 0 : REV_PARSE_RULES.length - i;
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

/** remote.c's get_local_ref(): where an exact refspec stores what it fetches (a short name is a branch). */
function localRefName(dst: string): string | null {
  if (dst === '') return null;
  if (dst.startsWith('refs/')) return dst;
  if (dst.startsWith('heads/') || dst.startsWith('tags/') || dst.startsWith('remotes/')) return `refs/${dst}`;
  return `refs/heads/${dst}`;
}

/**
 * get_fetch_map() for one refspec over `refs`: a pattern maps every name it
 * matches; an exact source names one ref, by its full or short name, and
 * must be there (git dies otherwise, before fetching).
 */
function fetchMap(spec: Refspec, refs: AdvertisedRef[], add: (r: AdvertisedRef, map: (name: string) => string | null) => void, url?: string): void {
  // A negative refspec (^<ref>) maps nothing here: clone does not apply it.
  if (spec.src.startsWith('^')) return;
  if (spec.src.includes('*')) {
    const map = compileRefspec(spec);
    for (const r of refs) add(r, map);
    return;
  }
  const name = spec.src || 'HEAD';
  // A full object id is fetched as itself (the refspec's exact_sha1), whatever the remote advertises.
  if (/^[0-9a-f]{40}$/.test(name)) {
    const local = localRefName(spec.dst);
    add({ name, oid: name }, () => local);
    return;
  }
  const found = findRefByAbbrev(refs, name);
  if (!found) throw new RefNotFoundError(`couldn't find remote ref ${name}`, { ref: name, url });
  const local = localRefName(spec.dst);
  add(found, () => local);
}

export interface PlanOptions {
  remoteName: string;
  bare: boolean;
  mirror: boolean;
  singleBranch: boolean;
  noTags: boolean;
  branch?: string;
  /** remote.<name>.fetch values given with -c, read before the clone's own refspec as git does. */
  extraRefspecs?: string[];
  /** init.defaultBranch, used to guess the remote HEAD when the server names no symref. */
  defaultBranch: string;
  url?: string;
}

export interface RefPlan {
  /** In git's order: HEAD (want only), refspec matches, then tags. Local names are unique. */
  mapped: MappedRef[];
  /** Object ids to ask for, deduplicated, in order. */
  wants: string[];
  remoteHead?: AdvertisedRef;
  /** The mapped branch the remote HEAD points at (refs/remotes/<name>/HEAD's target). */
  remoteHeadPointsAt?: MappedRef;
  /** What the local HEAD becomes: a branch (symref) or a tag (detached). */
  ourHead?: MappedRef;
  /** Branch name the remote HEAD names but that has no commit yet (ls-refs `unborn`). */
  unbornHead?: string;
  /** The clone's own refspec, as written to remote.<name>.fetch (none for a bare non-mirror clone). */
  fetchRefspec?: string;
  /**
   * Ask the server to include tags pointing into what is sent: builtin/clone.c
   * sets TRANS_OPT_FOLLOWTAGS for every single-branch clone, --no-tags or not
   * (--no-tags only keeps write_followtags() from making refs of them).
   */
  includeTag: boolean;
  /**
   * A local ref that two mappings both write (the user's remote.<name>.fetch
   * overlapping the clone's own refspec or the tags'): git's ref transaction
   * refuses it after the fetch. The first such name in sorted order, as git names it.
   */
  duplicate?: string;
  /** Prefix under which remote-tracking refs live (`refs/remotes/origin/`, or `refs/heads/` when bare). */
  branchTop: string;
}

const mapTags = compileRefspec({ force: false, src: 'refs/tags/*', dst: 'refs/tags/*' });

function findRemoteBranch<T extends { name: string }>(refs: T[], branch: string): T | undefined {
  return refs.find((r) => r.name === `refs/heads/${branch}`) ?? refs.find((r) => r.name === `refs/tags/${branch}`);
}

function guessRemoteHead(head: AdvertisedRef | undefined, mapped: MappedRef[], defaultBranch: string): MappedRef | undefined {
  if (!head) return undefined;
  if (head.symrefTarget) return mapped.find((m) => m.remote === head.symrefTarget);
  // No symref from the server (old protocol): a branch at the same commit, preferring the default names.
  for (const name of [`refs/heads/${defaultBranch}`, 'refs/heads/master']) {
    const r = mapped.find((m) => m.remote === name);
    if (r && r.oid === head.oid) return r;
  }
  return mapped.find((m) => m.remote.startsWith('refs/heads/') && m.oid === head.oid);
}

export function planRefs(refs: AdvertisedRef[], headTarget: string | undefined, o: PlanOptions): RefPlan {
  const srcPrefix = o.mirror ? 'refs/' : 'refs/heads/';
  const branchTop = o.bare ? srcPrefix : `refs/remotes/${o.remoteName}/`;
  const ownSpec = parseRefspec(`+${srcPrefix}*:${branchTop}*`);
  const specs = [...(o.extraRefspecs ?? []).map(parseRefspec), ownSpec];
  let head = refs.find((r) => r.name === 'HEAD');
  if (head && !head.symrefTarget && headTarget) head = { ...head, symrefTarget: headTarget };

  const mapped: MappedRef[] = [];
  const seenLocal = new Set<string>();
  const duplicates: string[] = [];
  const add = (r: AdvertisedRef, map: (name: string) => string | null) => {
    const local = map(r.name);
    if (local === null) return;
    if (!local.startsWith('refs/')) return;
    if (local !== r.name) assertRefName(local); // a ref mapped to its own name was checked with all the others below
    const known = seenLocal.size;
    seenLocal.add(local); // one hash lookup: the size says whether the name was new
    if (seenLocal.size === known) {
      duplicates.push(local);
      return;
    }
    mapped.push({ remote: r.name, local, oid: r.oid, peeled: r.peeled });
  };
  for (const r of refs) if (r.name !== 'HEAD') assertRefName(r.name);

  const headEntry = (h: AdvertisedRef): MappedRef => ({ remote: 'HEAD', oid: h.oid });
  if (o.singleBranch) {
    let chosen: AdvertisedRef | undefined;
    if (o.branch === undefined) {
      if (head) mapped.push(headEntry(head));
      const heads = refs.filter((r) => r.name.startsWith('refs/heads/')).map((r) => ({ remote: r.name, oid: r.oid }));
      const guessed = guessRemoteHead(head, heads, o.defaultBranch);
      chosen = guessed && refs.find((r) => r.name === guessed.remote);
    } else chosen = findRemoteBranch(refs, o.branch);
    if (chosen) {
      // git maps the one chosen ref alone: an exact refspec naming another is not found.
      for (const s of specs) fetchMap(s, [chosen], add, o.url);
      add(chosen, mapTags); // --branch=<tag> fetches the tag itself
    }
  } else {
    if (head) mapped.push(headEntry(head));
    // Only a refspec naming HEAD itself maps it (git: `+HEAD:refs/remotes/origin/head`); the clone's own never does.
    for (const s of specs) fetchMap(s, refs, add, o.url);
  }
  if (!o.mirror && !o.singleBranch && !o.noTags) for (const r of refs) add(r, mapTags);

  const plan: RefPlan = { mapped, wants: [], includeTag: o.singleBranch, branchTop };
  if (duplicates.length) plan.duplicate = duplicates.sort()[0];
  if (mapped.length) {
    plan.remoteHead = head;
    plan.remoteHeadPointsAt = guessRemoteHead(head, mapped.filter((m) => m.local), o.defaultBranch);
    if (o.branch !== undefined) {
      const named = mapped.filter((m) => m.local).map((m) => ({ name: m.remote, ref: m }));
      plan.ourHead = findRemoteBranch(named, o.branch)?.ref;
      if (!plan.ourHead) throw branchNotFound(o);
    } else if (head) plan.ourHead = plan.remoteHeadPointsAt;
    else {
      // No HEAD at all (a bundle without one, a v0 server whose HEAD is
      // unborn): the branch the unborn HEAD names, else the default branch
      // name, is checked out if the remote has it (builtin/clone.c, git 2.38+).
      // No refs/remotes/<name>/HEAD is made: nothing says where HEAD points.
      const name = headTarget?.startsWith('refs/heads/') ? headTarget.slice('refs/heads/'.length) : o.defaultBranch;
      const named = mapped.filter((m) => m.local).map((m) => ({ name: m.remote, ref: m }));
      plan.ourHead = findRemoteBranch(named, name)?.ref;
    }
  } else {
    if (o.branch !== undefined) throw branchNotFound(o);
  }
  if (!head && headTarget?.startsWith('refs/heads/')) plan.unbornHead = headTarget;
  const asked = new Set<string>();
  for (const m of mapped) {
    const known = asked.size;
    asked.add(m.oid);
    if (asked.size !== known) plan.wants.push(m.oid);
  }

  if (o.mirror || !o.bare) {
    if (o.singleBranch && !o.mirror) {
      if (o.branch !== undefined && plan.ourHead) {
        plan.fetchRefspec = plan.ourHead.remote.startsWith('refs/tags/')
          ? `+${plan.ourHead.remote}:${plan.ourHead.remote}`
          : `+${plan.ourHead.remote}:${branchTop}${o.branch}`;
      } else if (plan.remoteHeadPointsAt) {
        plan.fetchRefspec = `+${plan.remoteHeadPointsAt.remote}:${branchTop}${plan.remoteHeadPointsAt.remote.slice('refs/heads/'.length)}`;
      }
    } else plan.fetchRefspec = `+${srcPrefix}*:${branchTop}*`;
  }
  return plan;
}

function branchNotFound(o: PlanOptions): RefNotFoundError {
  return new RefNotFoundError(`Remote branch ${o.branch} not found in upstream ${o.remoteName}`, { ref: o.branch!, url: o.url });
}

// The clone's joints: where the transport's pack stream meets the core's
// streaming indexer, and where the fetched packs meet the object store and
// the checkout. Each function here is one arrow of the flow in
// docs/architecture.md ("Clone").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, openRemote, TransportError, type FetchRequest, type Remote } from '../transport/index.ts';
import { PackIndexer } from '../pack/index-pack.ts';
import type { FixThinOptions } from '../pack/fix-thin.ts';
import { compileCore, loadCore, type Core } from '../core/instance.ts';
import { ObjectStore, headerLines, type PackHandle } from '../core/objects.ts';
import { parseTree, type TreeEntry } from '../core/tree.ts';
import { afterPendingIo } from '../turns.ts';
import { checkout } from '../checkout/checkout.ts';
import { CloneError, RepositoryNotFoundError } from '../errors.ts';
import type { CloneEvent } from '../clone.ts';
import { hasLooseObjects, objectDirs, packFiles } from '../transport/local-repo.ts';

export interface Connection {
  url: string;
  remote: Remote;
  env: NodeJS.ProcessEnv;
  config: Map<string, string>;
  onStderr?(text: string): void;
  ipFamily?: 4 | 6;
  verbose?: boolean;
  close(): Promise<void>;
}

/** A spawned transport's stderr as clone events: passed on as it comes, as git lets it through (even with -q). */
export function stderrNotes(emit: (e: CloneEvent) => void): (text: string) => void {
  return (text) => emit({ phase: 'note', message: text, always: true });
}

/** Maps transport failures to the library's typed errors; the message stays git's. */
export function transportFailure(err: unknown, url: string): Error {
  if (err instanceof TransportError) {
    if (err.kind === 'not-found') return new RepositoryNotFoundError(err.message, { url, cause: err });
    return new CloneError(err.message, { url, cause: err });
  }
  return err as Error;
}

export async function connect(
  url: string,
  opts: { env: NodeJS.ProcessEnv; config: Map<string, string>; signal?: AbortSignal; uploadPack?: string; onStderr?(text: string): void; ipFamily?: 4 | 6; verbose?: boolean },
): Promise<Connection> {
  let remote: Remote;
  try {
    remote = await openRemote(url, { env: opts.env, config: opts.config, signal: opts.signal, uploadPack: opts.uploadPack, onStderr: opts.onStderr, ipFamily: opts.ipFamily, verbose: opts.verbose });
  } catch (err) {
    throw transportFailure(err, url);
  }
  const wrapped: Remote = {
    url: remote.url,
    advertise: async (o) => {
      try {
        return await remote.advertise(o);
      } catch (err) {
        throw transportFailure(err, url);
      }
    },
    fetch: async (req, sink) => {
      try {
        return await remote.fetch(req, sink);
      } catch (err) {
        throw transportFailure(err, url);
      }
    },
    close: () => remote.close(),
  };
  return { url, remote: wrapped, env: opts.env, config: opts.config, onStderr: opts.onStderr, ipFamily: opts.ipFamily, verbose: opts.verbose, close: () => remote.close() };
}

export interface FetchedPack {
  pack: string;
  idx: string;
  objects: number;
}

/**
 * One fetch: the pack streams into objects/pack/tmp_pack_* while the core
 * indexes it (pass 1 per chunk, deltas and .idx at the end), then becomes
 * pack-<checksum>.pack/.idx, plus a `.promisor` file for a promisor remote.
 */
export async function receivePack(
  remote: Remote,
  gitDir: string,
  request: FetchRequest,
  opts: { emit(e: CloneEvent): void; promisor?: string; index?: IndexSettings; signal?: AbortSignal; fixThin?: FixThinOptions },
): Promise<{ pack: FetchedPack | null; shallow: string[]; stored: string[] }> {
  const { emit } = opts;
  const module = await compileCore();
  // The request goes out first; the indexer (an instance of the core, a
  // temporary pack file) is made while the server prepares the pack, not
  // before it is asked for. The first chunk waits for it if need be.
  let indexer: PackIndexer | undefined;
  const creating = afterPendingIo(() =>
    PackIndexer.create({
      packDir: join(gitDir, 'objects', 'pack'),
      module,
      threads: opts.index?.threads,
      cacheLimit: opts.index?.cacheLimit,
      // index-pack --fix-thin: a thin pack's missing bases come from the repository (its alternates).
      fixThin: opts.fixThin,
      signal: opts.signal,
      onProgress: (phase, done, total) => {
        if (phase === 'receiving') emit({ phase: 'receiving', done, total, bytes: indexer?.bytes });
        else if (phase === 'resolving') emit({ phase: 'resolving', done, total, final: done === total });
      },
    }).then((ix) => (indexer = ix)),
  );
  creating.catch(() => {}); // reported where it is awaited
  let sawData = false;
  try {
    const result = await remote.fetch(request, {
      pack: (chunk) => {
        if (opts.signal?.aborted) throw opts.signal.reason;
        sawData = true;
        if (indexer) indexer.write(chunk);
        else return creating.then((ix) => ix.write(chunk));
      },
      remoteMessage: (text) => emit({ phase: 'remote', message: text }),
      // A dumb-HTTP server's objects are stored as they come, not streamed here.
      objectDir: join(gitDir, 'objects'),
      walked: (done, final) => emit({ phase: 'walking', done, final }),
    });
    const ix = await creating;
    for (const w of result.warnings ?? []) emit({ phase: 'warning', message: w });
    const stored = result.packs ?? [];
    if (!sawData) {
      ix.abort();
      return { pack: null, shallow: result.shallow, stored };
    }
    const r = await ix.finish();
    emit({ phase: 'fetched' });
    if (opts.promisor !== undefined) {
      // index-pack --promisor: the refs this pack was fetched for (empty for a lazy fetch).
      writeFileSync(r.packPath.replace(/\.pack$/, '.promisor'), opts.promisor, { mode: 0o600 });
    }
    return { pack: { pack: r.packPath, idx: r.idxPath, objects: r.objects }, shallow: result.shallow, stored };
  } catch (err) {
    // An indexer that could not be made is the error to report, as when it was made first.
    (await creating).abort();
    throw err;
  }
}

/** Settings of pass 2 from the configuration (pack.threads, core.deltaBaseCacheLimit); unset = the defaults. */
export interface IndexSettings {
  threads?: number;
  cacheLimit?: number;
}

export async function fetchPack(
  conn: Connection,
  o: { gitDir: string; request: FetchRequest; promisorRefs?: string; index?: IndexSettings; emit(e: CloneEvent): void; signal?: AbortSignal; fixThin?: FixThinOptions },
): Promise<{ pack: string | null; shallow: string[]; stored: string[] }> {
  const r = await receivePack(conn.remote, o.gitDir, o.request, { emit: o.emit, promisor: o.promisorRefs, index: o.index, signal: o.signal, fixThin: o.fixThin });
  return { pack: r.pack?.pack ?? null, shallow: r.shallow, stored: r.stored };
}

/** The repository's packs as the object store and checkout take them. */
function packHandles(gitDir: string, packs: string[]): PackHandle[] {
  return packs.map((p) => ({ pack: p, idx: p.replace(/\.pack$/, '.idx') }));
}

/**
 * Objects of a repository (its git directory is its common directory) that
 * are not in the packs a clone writes: the packs of each alternate object
 * directory (objects/info/alternates, as --reference and --shared write it),
 * and loose objects, read only when there are alternates or loose objects at
 * all (a plain clone has neither, and pays for no lookups).
 */
function objectsElsewhere(gitDir: string): { packs: PackHandle[]; looseDirs: string[] } {
  const dirs = objectDirs(gitDir);
  const own = dirs[0];
  const packs = dirs.slice(1).flatMap((d) => packFiles(d));
  return { packs, looseDirs: dirs.length > 1 || hasLooseObjects(own) ? dirs : [] };
}

/** Read access to the objects of the new repository (the packs this clone wrote, and any alternates). */
export interface RepositoryObjects {
  has(oid: string): boolean;
  read(oid: string): { type: string; data: Uint8Array };
  /** Follows tags down to a commit; null if the chain ends elsewhere. */
  peelToCommit(oid: string): string | null;
  /** The tree a commit records. */
  commitTree(oid: string): string;
  /** Entries of the tree at `path` below `tree` ('' for the root); null if there is none. */
  treeAt(tree: string, path: string): TreeEntry[] | null;
  /** Adds packs written after opening (a partial clone's lazy fetch). */
  addPacks(packs: string[]): void;
  /** The packs this clone wrote. */
  readonly packs: string[];
  /** The store reading all of them (replaced by addPacks), for a checkout to read through on the same core. */
  readonly store: ObjectStore;
  close(): Promise<void>;
}

export async function openRepositoryObjects(gitDir: string, packs: string[]): Promise<RepositoryObjects> {
  const core: Core = await loadCore({ module: await compileCore() });
  let all = [...packs];
  const elsewhere = objectsElsewhere(gitDir);
  const open = () => ObjectStore.open(core, [...packHandles(gitDir, all), ...elsewhere.packs], { looseDirs: elsewhere.looseDirs });
  let store = open();
  const read = (oid: string) => store.read(oid);
  const header = (data: Uint8Array, field: string): string | undefined => {
    for (const line of headerLines(data)) if (line.startsWith(`${field} `)) return line.slice(field.length + 1);
    return undefined;
  };
  const self: RepositoryObjects = {
    get packs() {
      return all;
    },
    get store() {
      return store;
    },
    has: (oid) => store.has(oid),
    read,
    peelToCommit(oid) {
      for (let i = 0; i < 100; i++) {
        if (!store.has(oid)) return null;
        const o = read(oid);
        if (o.type === 'commit') return oid;
        if (o.type !== 'tag') return null;
        const next = header(o.data, 'object');
        if (!next) return null;
        oid = next;
      }
      return null;
    },
    commitTree(oid) {
      const o = read(oid);
      const tree = o.type === 'commit' ? header(o.data, 'tree') : undefined;
      if (!tree || !/^[0-9a-f]{40}$/.test(tree)) throw new CloneError(`object ${oid} is not a commit`);
      return tree;
    },
    treeAt(tree, path) {
      let id = tree;
      for (const part of path.split('/').filter(Boolean)) {
        const entries = parseTree(core, read(id).data);
        const e = entries.find((x) => x.name.toString('utf8') === part);
        if (!e || e.mode !== 0o040000) return null;
        id = e.id.toString('hex');
      }
      const o = read(id);
      return o.type === 'tree' ? parseTree(core, o.data) : null;
    },
    addPacks(more) {
      store.close();
      all = [...all, ...more];
      store = open();
    },
    close: async () => store.close(),
  };
  return self;
}

/**
 * Checks out `commit` into the work tree and writes the index. For a partial
 * clone, the blobs the checkout needs and the packs lack are fetched first, in
 * one request to the promisor remote, as git's lazy fetch does.
 */
export async function checkoutHead(
  conn: Connection | null,
  objects: RepositoryObjects,
  o: {
    gitDir: string;
    workTree: string;
    commit: string;
    /** The branch checked out (refs/heads/<name>), when HEAD is not detached. */
    ref?: string;
    filter?: string;
    emit(e: CloneEvent): void;
    serverProgress: boolean;
    signal?: AbortSignal;
    /** Config as git sees it at checkout (attributes and conversion settings). */
    config?(key: string): string | undefined;
    env?: NodeJS.ProcessEnv;
    /** `clone --sparse`: only the top-level entries reach the work tree. */
    sparse?: boolean;
  },
): Promise<{ files: number; packs: string[] }> {
  const tree = objects.commitTree(o.commit);
  const added: string[] = [];
  const result = await checkout({
    gitDir: o.gitDir,
    workTree: o.workTree,
    treeOid: tree,
    // What a long-running filter process is told, as git tells it: the branch, the commit.
    filterMeta: { ref: o.ref, treeish: o.commit },
    packs: [],
    // The clone's objects, on their core: no second instance or index copy for the checkout.
    objects: {
      store: objects.store,
      addPacks: (more) => {
        objects.addPacks(more.map((h) => h.pack as string));
        return objects.store;
      },
    },
    signal: o.signal,
    config: o.config,
    env: o.env,
    sparse: o.sparse,
    onMessage: (text) => o.emit({ phase: 'note', message: `${text}\n`, always: true }),
    onProgress: (done, total) => o.emit({ phase: 'checkout', done, total, final: done === total }),
    fetchMissing: o.filter && conn
      ? async (oids) => {
          // A fresh connection, as git runs a separate fetch for the promisor remote
          // (a local path's through git-upload-pack: a fetch never copies a repository).
          const uploadPack = classify(conn.url).kind === 'local' ? 'git-upload-pack' : undefined;
          const lazy = await connect(conn.url, { env: conn.env, config: conn.config, signal: o.signal, uploadPack, onStderr: conn.onStderr, ipFamily: conn.ipFamily, verbose: conn.verbose });
          try {
            // git's lazy fetch (promisor-remote.c) asks with --filter=blob:none whatever the
            // clone's filter: a wanted tree comes with its subtrees, a wanted blob as asked.
            const r = await receivePack(lazy.remote, o.gitDir, { wants: oids, filter: 'blob:none', noProgress: !o.serverProgress, signal: o.signal }, { emit: o.emit, promisor: '', signal: o.signal });
            if (!r.pack) throw new CloneError(`could not fetch ${oids.length} missing objects from the promisor remote`, { url: conn.url });
            added.push(r.pack.pack);
            return packHandles(o.gitDir, [r.pack.pack]);
          } finally {
            await lazy.close();
          }
        }
      : undefined,
  });
  return { files: result.files, packs: added };
}

// Dumb HTTP (gitprotocol-http, "Dumb Clients"): a static file server over a
// repository on which `git update-server-info` ran. The refs come from the
// plain info/refs file and HEAD; the objects are fetched one by one by walking
// from the wanted tips, as git's http-walker does (walker.c, http-walker.c):
// each object missing here is asked for as a loose file, and failing that, the
// server's pack that holds it (found through objects/info/packs and the packs'
// .idx files) is downloaded whole. Loose objects are stored as received once
// their id is checked; packs go through the indexer, which writes the .idx.

import { renameSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, RemoteRef } from '../protocol/types.ts';
import { TransportError } from '../protocol/errors.ts';
import type { HttpResponse } from './http-client.ts';
import { compileCore, loadCore, CoreError, type Core } from '../core/instance.ts';
import { inflate } from '../core/inflate.ts';
import { sha1 } from '../core/hash.ts';
import { parseTreeTable, TREE_ENTRY } from '../core/tree.ts';
import { ObjectStore, headerLines, type ObjectType } from '../core/objects.ts';
import { PackIndexer } from '../pack/index-pack.ts';
import { hasLooseObjects, objectDirs, packFiles } from './local-repo.ts';

/** The files of a dumb-HTTP repository, as the HTTP channel fetches them (auth, proxies, gzip). */
export interface DumbHttpFiles {
  /** The repository URL as git prints it: no credentials, a trailing slash. */
  readonly url: string;
  /** GET of `path` below the repository: the response, or null when the server has no such file (404, 410). */
  getFile(path: string): Promise<HttpResponse | null>;
  /** http.followRedirects=true: where git would use the server's alternates. */
  readonly followAlternates: boolean;
  /** How many requests to keep in flight (http.maxRequests); the connections allowed follow it. */
  parallelRequests(): number;
}

/** The whole body of an answer. */
export async function readBody(res: HttpResponse): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let r = await res.body.next(); !r.done; r = await res.body.next()) parts.push(r.value);
  return Buffer.concat(parts);
}

const OID = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/**
 * The refs of an info/refs file (`<oid> TAB <refname>` lines, a peeled tag as
 * `<refname>^{}` after its tag), as remote-curl's parse_info_refs() reads them.
 */
export function parseInfoRefs(text: string, url: string): RemoteRef[] {
  const refs: RemoteRef[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const oid = line.slice(0, tab);
    const name = line.slice(tab + 1);
    if (tab < 0 || !OID.test(oid) || !name) throw new TransportError('protocol', `${url}info/refs not valid: is this a git repository?`, url);
    if (name.endsWith('^{}')) {
      const prev = refs[refs.length - 1];
      if (prev && prev.name === name.slice(0, -3)) prev.peeled = oid;
      continue;
    }
    refs.push({ name, oid });
  }
  return refs;
}

/**
 * The advertisement of a dumb server: the refs of info/refs, and HEAD from the
 * HEAD file (http_fetch_ref()). As git, HEAD is listed only when it names an
 * object: directly, or through a branch that info/refs lists.
 */
export async function dumbAdvertisement(files: DumbHttpFiles, infoRefs: Uint8Array, prefixes?: string[]): Promise<Advertisement> {
  const refs = parseInfoRefs(Buffer.from(infoRefs).toString('utf8'), files.url);
  let headTarget: string | undefined;
  const res = await files.getFile('HEAD');
  if (res) {
    const text = (await readBody(res)).toString('utf8').trim();
    let head: RemoteRef | undefined;
    if (text.startsWith('ref: ')) {
      const target = text.slice(5).trim();
      const ref = refs.find((r) => r.name === target);
      if (ref) {
        head = { name: 'HEAD', oid: ref.oid, symrefTarget: target };
        headTarget = target;
      }
    } else if (OID.test(text)) head = { name: 'HEAD', oid: text };
    if (head) refs.unshift(head);
  }
  const objectFormat = refs.length && refs[0].oid.length === 64 ? 'sha256' : 'sha1';
  const shown = prefixes?.length ? refs.filter((r) => r.name === 'HEAD' || prefixes.some((p) => r.name.startsWith(p))) : refs;
  return { refs: shown, headTarget, protocol: 0, capabilities: new Map(), objectFormat };
}

/** A server pack's .idx (version 1 or 2), kept to know which objects the pack holds. */
class RemoteIndex {
  private readonly fanout: Uint32Array;
  /** Offset of the first object name, and the stride between names. */
  private readonly names: number;
  private readonly stride: number;

  constructor(
    private readonly data: Buffer,
    readonly url: string,
  ) {
    // gitformat-pack "pack-*.idx files have the following format": v2 starts
    // with \377tOc and version 2; v1 starts directly with the fan-out table.
    const v2 = data.length >= 8 && data.readUInt32BE(0) === 0xff744f63;
    if (v2 && data.readUInt32BE(4) !== 2) throw new Error(`${url}: unsupported pack index version ${data.readUInt32BE(4)}`);
    const base = v2 ? 8 : 0;
    if (data.length < base + 1024) throw new Error(`${url}: not a pack index (${data.length} bytes, too short for its fan-out table)`);
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = data.readUInt32BE(base + i * 4);
    const n = this.fanout[255];
    this.names = v2 ? base + 1024 : base + 1024 + 4;
    this.stride = v2 ? 20 : 24;
    const need = v2 ? base + 1024 + n * 28 + 40 : base + 1024 + n * 24 + 40;
    if (data.length < need) throw new Error(`${url}: pack index truncated (${data.length} bytes, ${need} needed for ${n} objects)`);
  }

  has(id: Buffer): boolean {
    let lo = id[0] === 0 ? 0 : this.fanout[id[0] - 1];
    let hi = this.fanout[id[0]];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.names + mid * this.stride;
      const c = this.data.compare(id, 0, 20, at, at + 20);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }
}

interface Pending {
  oid: string;
  /** The type the object was reached as (a tree entry, a commit's tree or parent, a tag's target); null for a wanted tip. */
  hint: ObjectType | null;
  /** Here already (in a pack fetched before it was reached): read, not fetched. */
  here: boolean;
}

interface ServerPack {
  name: string;
  index: RemoteIndex | null;
  fetched: boolean;
}

/** Why an object could not be had, as the walker says it (the lines git prints, without their `error: `). */
class Missing extends Error {}

/**
 * walker.c's loop(): a FIFO queue of objects, each fetched when it reaches the
 * front (unless a pack brought it already), then read for what it points to.
 * The queue order is git's, so a failure names the same commit as git's
 * "while processing commit".
 */
class Walker {
  private readonly seen = new Set<string>();
  private readonly queue: Pending[] = [];
  private current: string | null = null;
  private readonly loose = new Set<string>();
  /** objects/xx directories made (or found) so far. */
  private readonly dirs = new Set<string>();
  private serverPacks: ServerPack[] | null = null;
  private readonly packs: string[] = [];
  private store: ObjectStore | null = null;
  private alternatesRead = false;
  /** The object stores the server's alternates name (not fetched from). */
  private readonly borrowed: string[] = [];
  private treeBuf = 0;
  private treeCap = 0;
  /** Loose-object requests made ahead (walker->prefetch()): asked for in queue order, at most `parallel` not yet taken. */
  private readonly prefetched = new Map<string, Promise<Buffer | null>>();
  /** Every request made ahead that has not settled, taken or not. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly ahead: string[] = [];
  private aheadNext = 0;
  private started = 0;
  private readonly parallel: number;
  /** The repository URL without its trailing slash, as git's walker messages show it. */
  private readonly base: string;

  constructor(
    private readonly files: DumbHttpFiles,
    private readonly core: Core,
    private readonly module: WebAssembly.Module,
    private readonly objectDir: string,
    private readonly say: (text: string) => void,
    private readonly walked: (objects: number, final?: boolean) => void,
    /** What the repository had before (its alternates, a pack already fetched): walked through, never fetched. */
    private readonly local: ObjectStore | null,
    private readonly signal?: AbortSignal,
  ) {
    this.base = files.url.replace(/\/$/, '');
    this.parallel = files.parallelRequests();
  }

  get storedPacks(): string[] {
    return this.packs;
  }

  /** Waits for the requests made ahead and not taken (a failed walk's, or those a pack made needless), then closes the store. */
  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    this.store?.close();
    this.store = null;
  }

  private has(oid: string): boolean {
    return this.loose.has(oid) || (this.store?.has(oid) ?? false) || (this.local?.has(oid) ?? false);
  }

  /** An object here already: in a pack fetched, or in the repository before. */
  private readHere(oid: string): { type: ObjectType; data: Uint8Array } {
    if (this.store?.has(oid)) return this.store.read(oid);
    return this.local!.read(oid);
  }

  /** walker.c process(): queue an object once. */
  private process(oid: string, hint: ObjectType | null): void {
    if (this.seen.has(oid)) return;
    this.seen.add(oid);
    const here = this.has(oid);
    this.queue.push({ oid, hint, here });
    if (!here) {
      this.ahead.push(oid);
      this.pump();
    }
  }

  /** Starts the requests made ahead while fewer than `parallel` wait to be taken; skips what a pack has brought meanwhile. */
  private pump(): void {
    while (this.started < this.parallel && this.aheadNext < this.ahead.length) {
      const oid = this.ahead[this.aheadNext++];
      if (this.has(oid) || this.prefetched.has(oid)) continue;
      const p = this.getLoose(oid);
      // Reported when taken; one never taken (a pack brought its object) does not matter.
      const settled = p.catch(() => {}).finally(() => this.inFlight.delete(settled));
      this.inFlight.add(settled);
      this.prefetched.set(oid, p);
      this.started++;
    }
  }

  /** Forgets the request made ahead for an object a pack has brought, freeing its place. */
  private drop(oid: string): void {
    if (!this.prefetched.delete(oid)) return;
    this.started--;
    this.pump();
  }

  /** The loose file of `oid` as the server has it, or null. */
  private async getLoose(oid: string): Promise<Buffer | null> {
    const res = await this.files.getFile(`objects/${oid.slice(0, 2)}/${oid.slice(2)}`);
    return res ? readBody(res) : null;
  }

  /** The answer of the request made ahead for `oid` (made now if it was not). */
  private async take(oid: string): Promise<Buffer | null> {
    let p = this.prefetched.get(oid);
    if (p) {
      this.prefetched.delete(oid);
      this.started--;
    } else p = this.getLoose(oid);
    try {
      return await p;
    } finally {
      this.pump();
    }
  }

  async run(wants: string[]): Promise<void> {
    for (const oid of wants) this.process(oid, null);
    for (let head = 0; head < this.queue.length; head++) {
      if (this.signal?.aborted) throw this.signal.reason;
      const item = this.queue[head];
      let obj: { type: ObjectType; data: Uint8Array } | null = null;
      if (!item.here && this.has(item.oid)) this.drop(item.oid);
      else if (!item.here) {
        obj = await this.fetch(item.oid);
        if (!obj && !this.has(item.oid)) {
          this.walked(head, true);
          throw this.missing(item);
        }
      }
      // A blob points nowhere: once here, nothing of it is read.
      if (item.hint !== 'blob' || obj) {
        obj ??= this.readHere(item.oid);
        if (item.hint && obj.type !== item.hint) throw new TransportError('protocol', `object ${item.oid} is a ${obj.type}, not a ${item.hint}`, this.files.url);
        this.walk(item.oid, obj.type, obj.data);
      }
      this.walked(head + 1);
    }
    this.walked(this.queue.length, true);
  }

  /** walker.c process_object(): queue what a commit, tree or tag points to. */
  private walk(oid: string, type: ObjectType, data: Uint8Array): void {
    if (type === 'blob') return;
    if (type === 'tree') {
      for (const [mode, id] of this.treeEntries(oid, data)) {
        if (mode === 0o160000) continue; // a gitlink: the submodule's commit is not in this repository
        this.process(id, mode === 0o040000 ? 'tree' : 'blob');
      }
      return;
    }
    const lines = headerLines(data);
    const field = (name: string) => lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
    if (type === 'commit') {
      const tree = field('tree')[0];
      if (!tree || !OID.test(tree)) throw new TransportError('protocol', `commit ${oid}: no tree line`, this.files.url);
      this.current = oid;
      this.process(tree, 'tree');
      for (const p of field('parent')) this.process(p, 'commit');
      return;
    }
    const target = field('object')[0];
    const kind = field('type')[0];
    if (!target || !OID.test(target) || !['commit', 'tree', 'blob', 'tag'].includes(kind)) throw new TransportError('protocol', `tag ${oid}: no object or type line`, this.files.url);
    this.process(target, kind as ObjectType);
  }

  /** (mode, id) of each entry, parsed by the core into its entry table. */
  private treeEntries(oid: string, data: Uint8Array): [number, string][] {
    const core = this.core;
    if (data.length > this.treeCap) {
      // The core's allocator never frees: grow by doubling, so a walk allocates little.
      this.treeCap = Math.max(data.length, this.treeCap * 2, 4096);
      this.treeBuf = core.alloc(this.treeCap);
    }
    core.bytes(this.treeBuf, data.length).set(data);
    const n = parseTreeTable(core, this.treeBuf, data.length, Buffer.alloc(0), `tree ${oid}`);
    const table = new DataView(core.exports.memory.buffer, core.exports.treeEntriesPtr(), n * TREE_ENTRY);
    const bytes = core.bytes(this.treeBuf, data.length);
    const out: [number, string][] = new Array(n);
    for (let i = 0; i < n; i++) {
      const mode = table.getUint32(i * TREE_ENTRY, true);
      const idAt = table.getUint32(i * TREE_ENTRY + 4, true) + table.getUint32(i * TREE_ENTRY + 8, true) + 1;
      out[i] = [mode, Buffer.from(bytes.buffer, bytes.byteOffset + idAt, 20).toString('hex')];
    }
    return out;
  }

  /** walker.c report_missing(), after http-walker's "Unable to find". */
  private missing(item: Pending): TransportError {
    const unable = `Unable to find ${item.oid} under ${this.base}`;
    this.say(`error: ${unable}\n`);
    const lines = [`Cannot obtain needed ${item.hint ?? 'object'} ${item.oid}`];
    if (this.current) lines.push(`while processing commit ${this.current}.`);
    const text = `${lines.join('\n')}\nerror: fetch failed.\n`;
    const borrowed = this.borrowed.length ? `\n(the server borrows objects from ${this.borrowed.join(', ')}, which wasmgit does not fetch from)` : '';
    return new TransportError('remote-error', `${unable}\n${lines.join('\n')}\nfetch failed.${borrowed}`, this.files.url, { text, reason: '' });
  }

  /**
   * http-walker.c fetch_alternates(), at the first loose object the server
   * lacks: objects/info/http-alternates, else objects/info/alternates. Each
   * entry is resolved as process_alternates_response() resolves it. git uses
   * them only with http.followRedirects=true (and warns otherwise); wasmgit
   * never fetches from them, and says so where git would use them.
   */
  private async readAlternates(): Promise<void> {
    if (this.alternatesRead) return;
    this.alternatesRead = true;
    for (const [path, httpSpecific] of [['objects/info/http-alternates', true], ['objects/info/alternates', false]] as const) {
      const res = await this.files.getFile(path);
      if (!res) continue;
      const text = (await readBody(res)).toString('utf8');
      // Only whole lines count (a last line without its newline is ignored, as git ignores it).
      for (const line of text.split('\n').slice(0, -1)) {
        let target: string | null = null;
        if (line.startsWith('/') || line.startsWith('../')) target = new URL(line, `${this.files.url}objects/`).href;
        else if (httpSpecific && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(line)) target = line;
        if (target === null) continue;
        if (!target.endsWith('objects')) {
          this.say(`warning: ignoring alternate that does not end in 'objects': ${target}\n`);
          continue;
        }
        target = target.slice(0, -'objects'.length);
        if (this.files.followAlternates) this.say(`warning: not adding alternate object store: ${target} (wasmgit does not fetch from a dumb server's alternates)\n`);
        else this.say(`warning: alternate disabled by http.followRedirects: ${target}\n`);
        this.borrowed.push(target);
      }
      return;
    }
  }

  /**
   * http-walker.c fetch(): the loose object first; failing that, the pack
   * that holds it. A loose object comes back read; one from a pack is in the
   * store. Null when neither has it (the reasons said as git says them).
   */
  private async fetch(oid: string): Promise<{ type: ObjectType; data: Uint8Array } | null> {
    const raw = await this.take(oid);
    if (raw) {
      try {
        return this.storeLoose(oid, raw);
      } catch (err) {
        if (!(err instanceof Missing)) throw err;
        this.say(`error: ${err.message}\n`);
      }
    } else await this.readAlternates();
    await this.fetchPackHolding(oid);
    return null;
  }

  /** Checks a loose object's zlib stream, header and id, then stores the file as received. */
  private storeLoose(oid: string, raw: Buffer): { type: ObjectType; data: Uint8Array } {
    const url = `${this.files.url}objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
    let all: Uint8Array;
    try {
      all = inflate(this.core, raw).output;
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      throw new Missing(`File ${oid} (${url}) corrupt: ${err.message}`);
    }
    // gitformat-loose: "<type> <size>\0<content>", the id being the SHA-1 of all of it.
    const nul = all.indexOf(0);
    const header = Buffer.from(all.buffer, all.byteOffset, Math.max(0, nul)).toString('latin1');
    const m = /^(commit|tree|blob|tag) (0|[1-9][0-9]*)$/.exec(header);
    if (nul < 0 || !m || Number(m[2]) !== all.length - nul - 1) throw new Missing(`File ${oid} (${url}) corrupt: bad object header '${header.slice(0, 40)}'`);
    if (sha1(this.core, all).hex !== oid) throw new Missing(`File ${oid} has bad hash`);
    const dir = join(this.objectDir, oid.slice(0, 2));
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const tmp = join(dir, `tmp_obj_${oid.slice(2, 8)}_${process.pid}`);
    try {
      writeFileSync(tmp, raw, { mode: 0o444, flag: 'wx' });
      renameSync(tmp, join(dir, oid.slice(2)));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.loose.add(oid);
    return { type: m[1] as ObjectType, data: all.subarray(nul + 1) };
  }

  /** http-walker.c fetch_indices(): objects/info/packs and each listed pack's .idx, once. */
  private async serverPackList(): Promise<ServerPack[]> {
    if (this.serverPacks) return this.serverPacks;
    const list: ServerPack[] = [];
    const res = await this.files.getFile('objects/info/packs');
    if (res) {
      const text = (await readBody(res)).toString('utf8');
      for (const line of text.split('\n')) {
        const m = /^P (pack-[0-9a-f]{40}|pack-[0-9a-f]{64})\.pack$/.exec(line.trim());
        if (m && !list.some((p) => p.name === m[1])) list.push({ name: m[1], index: null, fetched: false });
      }
    }
    for (const p of list) {
      const path = `objects/pack/${p.name}.idx`;
      const idx = await this.files.getFile(path);
      if (!idx) {
        this.say(`error: Unable to get pack index ${this.files.url}${path}\n`);
        continue;
      }
      try {
        p.index = new RemoteIndex(await readBody(idx), `${this.files.url}${path}`);
      } catch (err) {
        if (err instanceof TransportError) throw err;
        this.say(`error: ${(err as Error).message}\n`);
      }
    }
    this.serverPacks = list;
    return list;
  }

  /** http-walker.c fetch_pack(): downloads and indexes the server pack that holds `oid`, if one does. */
  private async fetchPackHolding(oid: string): Promise<void> {
    const id = Buffer.from(oid, 'hex');
    const pack = (await this.serverPackList()).find((p) => !p.fetched && p.index?.has(id));
    if (!pack) return;
    pack.fetched = true;
    const path = `objects/pack/${pack.name}.pack`;
    const res = await this.files.getFile(path);
    if (!res) {
      this.say(`error: Unable to get pack file ${this.files.url}${path}\n`);
      return;
    }
    const indexer = await PackIndexer.create({ packDir: join(this.objectDir, 'pack'), module: this.module, signal: this.signal });
    let written: string;
    try {
      for (let r = await res.body.next(); !r.done; r = await res.body.next()) indexer.write(r.value);
      written = (await indexer.finish()).packPath;
    } catch (err) {
      indexer.abort();
      res.discard();
      if (err instanceof TransportError || this.signal?.aborted) throw err;
      // As git's index-pack fails: the pack is not used, and the object is then missing.
      this.say(`error: ${this.files.url}${path}: ${(err as Error).message}\n`);
      return;
    }
    this.packs.push(written);
    this.store?.close();
    this.store = ObjectStore.open(this.core, this.packs.map((p) => ({ pack: p, idx: p.replace(/\.pack$/, '.idx') })));
  }
}

/**
 * The objects the repository has before the fetch (its own packs and loose
 * objects, and its alternates': --reference, --shared), on a core of their
 * own; null when there are none (a plain clone pays nothing).
 */
async function objectsHere(objectDir: string, module: WebAssembly.Module): Promise<ObjectStore | null> {
  const dirs = objectDirs(dirname(objectDir));
  const packs = dirs.flatMap((d) => packFiles(d));
  if (!packs.length && !dirs.some(hasLooseObjects)) return null;
  return ObjectStore.open(await loadCore({ module }), packs, { looseDirs: dirs });
}

/**
 * A fetch from a dumb server: the objects reachable from `req.wants`, stored in
 * `sink.objectDir` (loose objects there, packs under pack/). Shallow requests
 * are refused as git refuses them; a filter is ignored (all objects come).
 */
export async function dumbFetch(files: DumbHttpFiles, req: FetchRequest, sink: FetchSink, say: (text: string) => void): Promise<FetchResult> {
  // remote-curl.c fetch_dumb(): --depth and --shallow-since die; --shallow-exclude and --filter go unused.
  if (req.depth !== undefined || req.shallowSince !== undefined) throw new TransportError('unsupported', 'dumb http transport does not support shallow capabilities', files.url);
  if (!sink.objectDir) throw new TransportError('unsupported', `${files.url} is a dumb-HTTP server: its objects are fetched one by one into a repository, not sent as a pack stream`, files.url);
  const module = await compileCore();
  const core = await loadCore({ module });
  const local = await objectsHere(sink.objectDir, module);
  const walker = new Walker(files, core, module, sink.objectDir, say, (n, final) => sink.walked?.(n, final), local, req.signal);
  try {
    await walker.run([...new Set(req.wants)]);
  } finally {
    await walker.close();
    local?.close();
  }
  return { shallow: [], unshallow: [], packs: walker.storedPacks };
}

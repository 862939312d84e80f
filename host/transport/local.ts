// A plain local path: the source repository is read directly, without git, as
// `git clone /path` does with its local optimisation. The advertisement comes from
// HEAD, loose refs and packed-refs; the fetch produces ONE pack stream holding
// every object the repository has:
//   - a pack header with the total count;
//   - each existing pack's entries copied verbatim with positioned reads (offsets
//     of OFS_DELTA bases are relative, so they stay valid when whole packs are
//     concatenated); an object already sent from another pack is left out, and
//     then that pack's OFS_DELTA entries are rewritten as REF_DELTA, since leaving
//     an entry out shifts the distances (the core's pack reader parses their
//     headers);
//   - every loose object as a new entry, its zlib stream re-encoded with stored
//     blocks (inflating is the core's job; storing needs no compressor);
//   - a SHA-1 trailer over all of it.
// Memory holds the pack indexes and one output chunk, never the pack.
//
// Opened with `reachableOnly` (what `clone --dissociate` repacks with, as git
// runs `git repack -a -d`), the stream holds only the objects the wants reach,
// as upload-pack would send them: the walk reads commits, tags and trees
// (never blobs, whose type the tree entry gives) and stops at the repository's
// shallow commits; a delta kept whose base nothing reaches is sent as its
// whole object (the core reads and compresses it), so the pack is complete.

import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../protocol/errors.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, OpenOptions, Remote, RemoteRef } from '../protocol/types.ts';
import { headerLines, type EntryHeader } from '../core/objects.ts';
import { OBJ_OFS_DELTA, OBJ_REF_DELTA } from '../core/pack.ts';
import { findGitDir } from '../repo/git-dir.ts';
import { LocalCore } from './local-core.ts';
import { PackIndex, RepoError, SourceObjects, hashLenOf, listLoose, listPacks, objectDirs, packFiles, readRefs, resolveRef, typeCode } from './local-repo.ts';
import { entryHeader } from '../pack/entry-header.ts';
import { couldNotRead } from './stream.ts';

const CHUNK = 1 << 20;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Errors thrown by the caller's sink: writing the pack on this side failed (a
 * full disk, an abort). They pass through as they are, not as a failure to
 * read the source repository.
 */
const sinkErrors = new WeakSet<object>();

async function toSink(sink: FetchSink, bytes: Uint8Array): Promise<void> {
  try {
    await sink.pack(bytes);
  } catch (err) {
    if (typeof err === 'object' && err !== null) sinkErrors.add(err);
    throw err;
  }
}

/** Collects output into 1 MiB chunks, hashing them and handing each to the sink (awaited). */
class PackWriter {
  private buf = new Uint8Array(CHUNK);
  private pos = 0;
  written = 0;

  constructor(
    private readonly sink: FetchSink,
    private readonly core: LocalCore,
    private readonly signal?: AbortSignal,
  ) {
    core.sha1Start();
  }

  async flush(): Promise<void> {
    if (this.signal?.aborted) throw this.signal.reason;
    if (this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    this.core.sha1Update(out);
    this.buf = new Uint8Array(CHUNK); // the sink may keep `out`
    this.pos = 0;
    await toSink(this.sink, out);
  }

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, CHUNK - this.pos);
      this.buf.set(bytes.subarray(off, off + n), this.pos);
      this.pos += n;
      off += n;
      this.written += n;
      if (this.pos === CHUNK) await this.flush();
    }
  }

  /** Copies [start, end) of an open file straight into the output chunks. */
  async copy(fd: number, start: number, end: number, path: string): Promise<void> {
    let at = start;
    while (at < end) {
      const n = Math.min(end - at, CHUNK - this.pos);
      const got = readSync(fd, this.buf, this.pos, n, at);
      if (got <= 0) throw new RepoError(`${path}: unexpected end of file at offset ${at}`);
      this.pos += got;
      at += got;
      this.written += got;
      if (this.pos === CHUNK) await this.flush();
    }
  }

  async finish(): Promise<void> {
    await this.flush();
    const trailer = this.core.sha1Digest();
    this.written += trailer.length;
    await toSink(this.sink, trailer);
  }
}


interface Plan {
  /** keep[k] for offset-order position k; rebuild[k]: a delta sent as its whole object. */
  packs: { index: PackIndex; keep: Uint8Array; skipped: number; rebuild?: Uint8Array }[];
  loose: { oid: string; path: string }[];
  total: number;
}

class LocalRemote implements Remote {
  private corePromise: Promise<LocalCore> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly url: string,
    private readonly path: string,
    private readonly opts: OpenOptions,
    private readonly reachableOnly: boolean,
  ) {}

  private core(): Promise<LocalCore> {
    this.corePromise ??= LocalCore.load();
    return this.corePromise;
  }

  /** One operation at a time: the core has one inflater. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private repo() {
    // Found as git clone finds it: `<path>/.git`, `<path>`, `<path>.git/.git`, `<path>.git`.
    const found = findGitDir(this.path);
    if (!found) {
      // A file that is neither a gitfile nor a bundle: upload-pack's enter_repo() reads it as a gitfile.
      if (isFile(this.path)) throw couldNotRead(this.url, `fatal: invalid gitfile format: ${this.url}\n`);
      // As git upload-pack refuses a path that holds no repository, missing or not.
      throw couldNotRead(this.url, `fatal: '${this.url}' does not appear to be a git repository\n`);
    }
    const hashLen = hashLenOf(found.commonDir);
    return { ...found, hashLen };
  }

  private wrap(err: unknown): unknown {
    if (typeof err === 'object' && err !== null && sinkErrors.has(err)) return err;
    if (err instanceof RepoError) return new TransportError('protocol', `reading the repository at '${this.url}': ${err.message}`, this.url);
    if (err instanceof Error && (err as NodeJS.ErrnoException).code && !(err instanceof TransportError)) {
      return new TransportError('connection', `reading the repository at '${this.url}': ${err.message}`, this.url);
    }
    return err;
  }

  advertise(o?: { prefixes?: string[] }): Promise<Advertisement> {
    return this.serial(async () => {
      const { gitDir, commonDir, hashLen } = this.repo();
      let reader: SourceObjects | null = null;
      try {
        const { refs: raw, head } = readRefs(commonDir, gitDir);
        const names = [...raw.values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const refs: RemoteRef[] = [];
        let headTarget: string | undefined;
        const wanted = (name: string) => !o?.prefixes?.length || o.prefixes.some((p) => name.startsWith(p));
        const peelIfTag = async (name: string, oid: string): Promise<string | undefined> => {
          if (raw.peeled.has(name)) return raw.peeled.get(name);
          if (raw.knownUnpeelable.has(name)) return undefined;
          if (!reader) {
            const dirs = objectDirs(commonDir);
            reader = new SourceObjects(await this.core(), dirs, dirs.flatMap(packFiles), hashLen);
          }
          if ((await reader.typeOf(oid)) !== typeCode('tag')) return undefined;
          return reader.peel(oid);
        };
        if (head) {
          if (head.startsWith('ref:')) headTarget = head.slice(4).trim();
          const r = resolveRef(raw.values, head);
          if (r && wanted('HEAD')) refs.push(r.target ? { name: 'HEAD', oid: r.oid, symrefTarget: r.target } : { name: 'HEAD', oid: r.oid });
        }
        for (const name of names) {
          if (!wanted(name)) continue;
          const r = resolveRef(raw.values, raw.values.get(name)!);
          if (!r) continue; // dangling symref or broken ref: git leaves it out as well
          const ref: RemoteRef = { name, oid: r.oid };
          if (r.target) ref.symrefTarget = r.target;
          const peeled = await peelIfTag(name, r.oid);
          if (peeled) ref.peeled = peeled;
          refs.push(ref);
        }
        const objectFormat = hashLen === 32 ? 'sha256' : 'sha1';
        const capabilities = new Map<string, string | true>([['object-format', objectFormat]]);
        if (headTarget) capabilities.set('symref', `HEAD:${headTarget}`);
        return { refs, headTarget, protocol: 0, capabilities, objectFormat } as Advertisement;
      } catch (err) {
        throw this.wrap(err);
      } finally {
        (reader as SourceObjects | null)?.close();
      }
    });
  }

  /** Decides what goes into the stream: largest pack first, then each other pack minus what was already taken, then loose objects. */
  private plan(dirs: string[], hashLen: number): Plan {
    const indexes = dirs.flatMap((d) => listPacks(d, hashLen)).sort((a, b) => b.count - a.count);
    const packs: Plan['packs'] = [];
    let total = 0;
    for (let p = 0; p < indexes.length; p++) {
      const index = indexes[p];
      const keep = new Uint8Array(index.count);
      let skipped = 0;
      for (let k = 0; k < index.count; k++) {
        const oid = index.oidAt(index.byOffset[k]);
        let dup = false;
        for (let q = 0; q < p && !dup; q++) dup = indexes[q].find(oid) >= 0;
        if (dup) skipped++;
        else keep[k] = 1;
      }
      packs.push({ index, keep, skipped });
      total += index.count - skipped;
    }
    const seen = new Set<string>();
    const loose: Plan['loose'] = [];
    for (const d of dirs) {
      for (const obj of listLoose(d, hashLen)) {
        if (seen.has(obj.oid)) continue;
        seen.add(obj.oid);
        const bin = Buffer.from(obj.oid, 'hex');
        if (indexes.some((ix) => ix.find(bin) >= 0)) continue;
        loose.push(obj);
      }
    }
    total += loose.length;
    return { packs, loose, total };
  }

  /**
   * Narrows `plan` to what `wants` reach (shallow commits' parents not
   * followed), marking the kept deltas whose base is not kept to go whole.
   * `objects` reads the repository, its pack number i being plan.packs[i].
   * In a `partial` clone an object not here is passed over, as the filter
   * left it out.
   */
  private async narrow(plan: Plan, wants: string[], shallow: string[], objects: SourceObjects, partial: boolean): Promise<void> {
    const packs = plan.packs;
    for (const p of packs) p.keep.fill(0);
    const loose = new Map(plan.loose.map((o) => [o.oid, o]));
    const kept: typeof plan.loose = [];
    const keptLoose = new Set<string>();
    const deltas: [number, number][] = []; // kept entries, whose headers are looked at once the walk is done
    /**
     * Where the stream would carry `oid` from: [pack, offset-order position]. The core
     * searches the packs in plan order, so the first holding it is the one the plan keeps.
     */
    const place = (oid: string | Uint8Array): [number, number] | null => {
      const at = objects.entryOf(oid);
      return at ? [at.pack, packs[at.pack].index.positionOfOffset(at.offset)] : null;
    };
    /** Keeps `oid`'s entry (or loose object); false when it is already kept. */
    const keep = (id: Uint8Array): boolean => {
      const at = place(id);
      if (at) {
        const [p, k] = at;
        if (packs[p].keep[k]) return false;
        packs[p].keep[k] = 1;
        deltas.push([p, k]);
        return true;
      }
      const oid = Buffer.from(id).toString('hex');
      const obj = loose.get(oid);
      // A partial clone lacks what its filter left out: the promisor remote has it (git: --missing=allow-promisor).
      if (!obj && partial) return false;
      if (!obj) throw new RepoError(`object ${oid} is missing`);
      if (keptLoose.has(oid)) return false;
      keptLoose.add(oid);
      kept.push(obj);
      return true;
    };
    // Ids stay bytes (views of the copies objects.read() returns): hex only for loose objects and errors.
    const BLOB = 3;
    const stack: [Uint8Array, number][] = wants.map((w) => [Buffer.from(w, 'hex'), 0]);
    const h = objects.hashLen;
    const shallowIds = new Set(shallow);
    while (stack.length) {
      const [id, kind] = stack.pop()!;
      if (!keep(id) || kind === BLOB) continue;
      const { type, data } = await objects.read(id);
      if (type === typeCode('tree')) {
        for (let at = 0; at < data.length; ) {
          const space = data.indexOf(0x20, at);
          const nul = data.indexOf(0, space);
          if (space < 0 || nul < 0 || nul + 1 + h > data.length) throw new RepoError(`tree ${Buffer.from(id).toString('hex')} is malformed at byte ${at}`);
          // Modes as trees store them: 40000 a tree, 160000 a submodule's commit (not here), else a blob.
          const tree = space - at === 5 && data[at] === 0x34;
          const gitlink = space - at === 6 && data[at] === 0x31 && data[at + 1] === 0x36;
          const entry = data.subarray(nul + 1, nul + 1 + h);
          at = nul + 1 + h;
          if (!gitlink) stack.push([entry, tree ? 0 : BLOB]);
        }
        continue;
      }
      if (type !== typeCode('commit') && type !== typeCode('tag')) continue;
      const parents = !shallowIds.has(Buffer.from(id).toString('hex'));
      for (const line of headerLines(data)) {
        const key = line.slice(0, line.indexOf(' '));
        if (key === 'tree' || key === 'object' || (key === 'parent' && parents)) stack.push([Buffer.from(line.slice(key.length + 1), 'hex'), 0]);
      }
    }
    // A kept delta whose base nothing reaches goes as the whole object (as pack-objects does
    // when it cannot reuse a delta): its base would be an object git's repack leaves out.
    const isKept = (oid: Uint8Array): boolean => {
      const at = place(oid);
      return at ? packs[at[0]].keep[at[1]] === 1 : keptLoose.has(Buffer.from(oid).toString('hex'));
    };
    for (const [p, k] of deltas) {
      const { index } = packs[p];
      const head = objects.entryHeader(p, index.offsets[index.byOffset[k]]);
      let base: Uint8Array | null = null;
      if (head.type === OBJ_OFS_DELTA) {
        const at = index.positionOfOffset(head.baseOffset!);
        if (at < 0) throw new RepoError(`${index.packPath}: delta at offset ${index.offsets[index.byOffset[k]]} names a base at ${head.baseOffset}, where no entry starts`);
        base = index.oidAt(index.byOffset[at]);
      } else if (head.type === OBJ_REF_DELTA) base = head.baseId!;
      if (base && !isKept(base)) (packs[p].rebuild ??= new Uint8Array(index.count))[k] = 1;
    }
    plan.total = kept.length;
    for (const p of packs) {
      const n = p.keep.reduce((a, b) => a + b, 0);
      p.skipped = p.index.count - n;
      plan.total += n;
    }
    plan.loose = kept;
  }

  /**
   * Copies one pack's entries; `header(offset)` parses an entry header (the
   * core does), needed only when some entries are left out. `whole(k)`, for a
   * delta at offset-order position k whose base the stream lacks, gives the
   * object as a whole entry (a walked plan's deltas of unreachable bases).
   */
  private async copyPack(w: PackWriter, entry: Plan['packs'][number], header: (offset: number) => EntryHeader, whole?: (k: number) => Promise<Uint8Array>): Promise<void> {
    const { index, keep, skipped } = entry;
    const fd = openSync(index.packPath, 'r');
    try {
      const head = Buffer.alloc(12);
      if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 4) !== 'PACK') throw new RepoError(`${index.packPath}: not a pack file`);
      const version = head.readUInt32BE(4);
      if (version !== 2 && version !== 3) throw new RepoError(`${index.packPath}: unsupported pack version ${version}`);
      if (head.readUInt32BE(8) !== index.count) {
        throw new RepoError(`${index.packPath}: holds ${head.readUInt32BE(8)} objects but its index lists ${index.count}`);
      }
      if (index.count === 0) return;
      if (skipped === 0) {
        // The common case: the whole body, from the first entry to the trailer.
        await w.copy(fd, 12, index.packSize - index.hashLen, index.packPath);
        return;
      }
      // Copy runs of kept entries; rewrite OFS_DELTA entries as REF_DELTA (their base may be gone, or moved).
      let runStart = -1;
      for (let k = 0; k <= index.count; k++) {
        const kept = k < index.count && keep[k] === 1;
        const off = k < index.count ? index.offsets[index.byOffset[k]] : index.packSize - index.hashLen;
        const h = kept ? header(off) : null;
        // A delta marked to be rebuilt goes whole; another OFS_DELTA is rewritten as REF_DELTA.
        const rebuilt = kept && whole !== undefined && entry.rebuild?.[k] === 1;
        const rewrite = !rebuilt && h?.type === OBJ_OFS_DELTA;
        if ((!kept || rewrite || rebuilt) && runStart >= 0) {
          await w.copy(fd, runStart, off, index.packPath);
          runStart = -1;
        }
        if (!kept) continue;
        if (rebuilt) {
          await w.write(await whole(k));
          continue;
        }
        if (rewrite) {
          const pos = index.positionOfOffset(h!.baseOffset!);
          if (pos < 0) throw new RepoError(`${index.packPath}: delta at offset ${off} names a base at ${h!.baseOffset}, where no entry starts`);
          await w.write(entryHeader(OBJ_REF_DELTA, h!.size));
          await w.write(index.oidAt(index.byOffset[pos]));
          await w.copy(fd, off + h!.headerLen, index.endOf(k), index.packPath);
        } else if (runStart < 0) runStart = off;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** A loose object as a pack entry: its content in zlib stored blocks (RFC 1950/1951 §3.2.4), Adler-32 from the core. */
  private async copyLoose(w: PackWriter, core: LocalCore, obj: { oid: string; path: string }): Promise<void> {
    const fd = openSync(obj.path, 'r');
    try {
      let pos = 0;
      let header: number[] | null = []; // bytes of "<type> <size>\0" until complete
      let size = 0;
      let produced = 0;
      let adler = 1;
      let pending: Uint8Array | null = null; // the last block, written once we know whether it is final
      const block = async (data: Uint8Array, final: boolean) => {
        const n = data.length;
        await w.write(Uint8Array.of(final ? 1 : 0, n & 255, n >> 8, ~n & 255, (~n >> 8) & 255));
        await w.write(data);
      };
      await core.inflate(
        (dst) => {
          const n = readSync(fd, dst, 0, dst.length, pos);
          pos += n;
          return n;
        },
        async (ptr, len) => {
          let start = 0;
          if (header) {
            const view = core.core.bytes(ptr, len);
            while (start < len && view[start] !== 0) header.push(view[start++]);
            if (start === len) return; // header continues in the next output
            start++; // the NUL
            const [typeName, sizeText] = Buffer.from(header).toString('latin1').split(' ');
            size = Number(sizeText);
            if (!Number.isSafeInteger(size) || size < 0) throw new RepoError(`${obj.path}: bad loose object header`);
            header = null;
            await w.write(entryHeader(typeCode(typeName), size));
            await w.write(Uint8Array.of(0x78, 0x01));
          }
          if (start < len) adler = core.adler32(adler, ptr + start, len - start);
          // Copy out now: the core reuses its window after we return. Stored blocks hold at most 65535 bytes.
          const data = core.core.bytes(ptr + start, len - start).slice();
          produced += data.length;
          for (let off = 0; off < data.length; off += 65535) {
            if (pending) await block(pending, false);
            pending = data.subarray(off, off + 65535);
          }
        },
      );
      if (header) throw new RepoError(`${obj.path}: loose object without a header`);
      if (produced !== size) throw new RepoError(`${obj.path}: declares ${size} bytes but holds ${produced}`);
      await block(pending ?? new Uint8Array(0), true);
      await w.write(Uint8Array.of(adler >>> 24, (adler >>> 16) & 255, (adler >>> 8) & 255, adler & 255));
    } finally {
      closeSync(fd);
    }
  }

  fetch(req: FetchRequest, sink: FetchSink): Promise<FetchResult> {
    return this.serial(async () => {
      const signal = req.signal ?? this.opts.signal;
      if (signal?.aborted) throw signal.reason;
      const { commonDir, hashLen } = this.repo();
      const result: FetchResult = { shallow: [], unshallow: [] };
      const warnings: string[] = [];
      if (req.depth !== undefined || req.shallowSince || req.shallowExclude?.length) warnings.push('--depth is ignored in local clones; use file:// instead.');
      if (req.filter) warnings.push('--filter is ignored in local clones; use file:// instead.');
      if (warnings.length) result.warnings = warnings;
      if (req.wants.length === 0) return result;
      try {
        const core = await this.core();
        const dirs = objectDirs(commonDir);
        const plan = this.plan(dirs, hashLen);
        const shallowFile = join(commonDir, 'shallow');
        const shallow = existsSync(shallowFile) ? readFileSync(shallowFile, 'utf8').split('\n').filter(Boolean) : [];
        for (const oid of req.wants) {
          const bin = Buffer.from(oid, 'hex');
          const present =
            plan.packs.some((p) => p.index.find(bin) >= 0) || dirs.some((d) => existsSync(join(d, oid.slice(0, 2), oid.slice(2))));
          if (!present) throw new TransportError('protocol', `object ${oid} wanted but not in the repository at '${this.url}'`, this.url);
        }
        // The source's own shallow boundary carries over to what it sends.
        result.shallow = shallow;
        const handle = (p: Plan['packs'][number]) => ({ pack: p.index.packPath, idx: p.index.idxPath });
        // Packs that lose entries have theirs walked one by one, their headers parsed by the core. A walked
        // plan reads objects too: then one reader (the core holds one set of packs) has every pack, in plan order.
        // (The walk reads every commit and tree, deltas of deltas: the core's default base cache.)
        const walked = this.reachableOnly ? new SourceObjects(core, dirs, plan.packs.map(handle), hashLen, true) : null;
        let headers: SourceObjects | null = walked;
        const w = new PackWriter(sink, core, signal);
        try {
          if (walked) {
            const partialClone = plan.packs.some((p) => existsSync(p.index.packPath.replace(/\.pack$/, '.promisor')));
            await this.narrow(plan, req.wants, shallow, walked, partialClone);
          }
          const partial = walked ? plan.packs : plan.packs.filter((p) => p.skipped > 0);
          headers ??= partial.length ? new SourceObjects(core, [], partial.map(handle), hashLen) : null;
          const header = new Uint8Array(12);
          header.set([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2]);
          new DataView(header.buffer).setUint32(8, plan.total);
          await w.write(header);
          for (const p of plan.packs) {
            const n = partial.indexOf(p);
            const whole = async (k: number) => {
              const { type, data } = await walked!.read(p.index.oidAt(p.index.byOffset[k]));
              return core.wholeEntry(type, data);
            };
            await this.copyPack(w, p, (off) => headers!.entryHeader(n, off), walked ? whole : undefined);
          }
        } finally {
          headers?.close();
        }
        for (const obj of plan.loose) await this.copyLoose(w, core, obj);
        await w.finish();
        return result;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw this.wrap(err);
      }
    });
  }

  async close(): Promise<void> {}
}

/**
 * The repository at `path`, read directly. `reachableOnly`: a fetch sends only
 * what its wants reach, as upload-pack would, instead of every object there.
 */
export function openLocal(url: string, path: string, opts: OpenOptions, reachableOnly = false): Remote {
  return new LocalRemote(url, path, opts, reachableOnly);
}

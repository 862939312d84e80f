// Reading a repository on disk without git: its refs (HEAD, loose refs,
// packed-refs with peeled lines), its object directories (alternates included),
// pack indexes (.idx v1 and v2, gitformat-pack) for planning what to send, and
// single objects (to peel annotated tags). Files are read with ordinary
// positioned reads; nothing is mapped. Packed objects and entry headers are read
// by the core's pack reader (assembly/pack/read.ts, through host/core/objects.ts),
// loose objects inflated by the core; where the git directory is, host/repo/git-dir.ts.

import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CoreError } from '../core/instance.ts';
import { ObjectStore, type EntryHeader, type PackHandle } from '../core/objects.ts';
import { OBJ_OFS_DELTA, OBJ_REF_DELTA, TYPE_NAMES } from '../core/pack.ts';
import type { LocalCore } from './local-core.ts';

export class RepoError extends Error {}

export function typeCode(name: string): number {
  const t = TYPE_NAMES.indexOf(name);
  if (t <= 0) throw new RepoError(`unknown object type '${name}'`);
  return t;
}

export function hashLenOf(commonDir: string): number {
  try {
    const cfg = readFileSync(join(commonDir, 'config'), 'utf8');
    if (/^\s*objectformat\s*=\s*sha256\s*$/im.test(cfg)) return 32;
  } catch {
    // no config: sha1
  }
  return 20;
}

export interface RawRefs {
  /** name → value: an object id, or `ref: <target>` */
  values: Map<string, string>;
  /** Peeled ids known from packed-refs. */
  peeled: Map<string, string>;
  /** Refs packed-refs vouches are not tags (it says `fully-peeled`, or `peeled` for refs/tags/). */
  knownUnpeelable: Set<string>;
}

function walkLooseRefs(dir: string, prefix: string, out: Map<string, string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    const full = `${prefix}/${name}`;
    const st = statSync(p);
    if (st.isDirectory()) walkLooseRefs(p, full, out);
    else if (st.isFile() && !name.endsWith('.lock')) out.set(full, readFileSync(p, 'utf8').trim());
  }
}

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const PACKED_LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) (\S.*)$/;

export function readRefs(commonDir: string, gitDir: string): { refs: RawRefs; head: string | null } {
  const values = new Map<string, string>();
  const peeled = new Map<string, string>();
  const knownUnpeelable = new Set<string>();
  const packed = join(commonDir, 'packed-refs');
  if (existsSync(packed)) {
    let traits = '';
    let last: string | null = null;
    readFileSync(packed, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line) return;
        if (line.startsWith('#')) {
          if (line.startsWith('# pack-refs with:')) traits = line;
          return;
        }
        // As git's packed-refs reader: an object id, a space and the name; a
        // peeled line (^<id>) only after a ref; anything else is refused.
        const unexpected = () => new RepoError(`${packed}:${i + 1}: unexpected line: ${line}`);
        if (line.startsWith('^')) {
          if (!last || !OID.test(line.slice(1))) throw unexpected();
          peeled.set(last, line.slice(1));
          return;
        }
        const m = PACKED_LINE.exec(line);
        if (!m) throw unexpected();
        last = m[2];
        values.set(last, m[1]);
        if (/\bfully-peeled\b/.test(traits) || (/\bpeeled\b/.test(traits) && last.startsWith('refs/tags/'))) knownUnpeelable.add(last);
      });
    for (const name of peeled.keys()) knownUnpeelable.delete(name);
  }
  const loose = new Map<string, string>();
  walkLooseRefs(join(commonDir, 'refs'), 'refs', loose);
  for (const [name, value] of loose) {
    // Neither an object id nor `ref: <name>`: a broken ref, which git's
    // upload-pack would advertise with a null id and the clone then refuse.
    if (!OID.test(value) && !value.startsWith('ref:')) throw new RepoError(`${join(commonDir, name)}: broken ref: neither an object id nor 'ref: <name>'`);
    values.set(name, value); // a loose ref overrides its packed copy
    peeled.delete(name);
    knownUnpeelable.delete(name);
  }
  let head: string | null = null;
  try {
    head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
  } catch {
    head = null;
  }
  return { refs: { values, peeled, knownUnpeelable }, head };
}

/** Follows `ref: ` values to an object id; null for a dangling or looping chain. */
export function resolveRef(values: Map<string, string>, value: string): { oid: string; target?: string } | null {
  let target: string | undefined;
  for (let depth = 0; depth < 10; depth++) {
    if (!value.startsWith('ref:')) return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(value) ? { oid: value, target } : null;
    const name = value.slice(4).trim();
    target ??= name;
    const next = values.get(name);
    if (next === undefined) return null;
    value = next;
  }
  return null;
}

/** The objects directory and every alternate it names, recursively (objects/info/alternates). */
export function objectDirs(commonDir: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    const abs = resolve(dir);
    if (out.includes(abs)) return;
    if (depth > 5) throw new RepoError(`${abs}: alternates nested more than 5 deep`);
    if (!existsSync(abs)) throw new RepoError(`alternate object directory '${abs}' does not exist`);
    out.push(abs);
    for (const alt of alternatesOf(abs)) visit(alt, depth + 1);
  };
  visit(join(commonDir, 'objects'), 0);
  return out;
}

/** The object directories `objectsDir`'s info/alternates names, in order, made absolute (none without the file). */
export function alternatesOf(objectsDir: string): string[] {
  const file = join(objectsDir, 'info', 'alternates');
  if (!existsSync(file)) return [];
  const out: string[] = [];
  for (let line of readFileSync(file, 'utf8').split('\n')) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('"')) throw new RepoError(`${file}: quoted alternate paths are not supported`);
    out.push(isAbsolute(line) ? line : resolve(objectsDir, line));
  }
  return out;
}

/** A pack and its index, the index held in memory (ids and offsets, tens of bytes per object). */
export class PackIndex {
  readonly count: number;
  readonly fanout: Uint32Array;
  readonly oids: Uint8Array; // count × hashLen, sorted
  readonly offsets: Float64Array; // by id order
  /** Entry positions sorted by offset, and their end (next entry's offset, or the trailer). */
  readonly byOffset: Uint32Array;
  readonly packSize: number;

  constructor(
    readonly packPath: string,
    readonly idxPath: string,
    readonly hashLen: number,
  ) {
    const idx = readFileSync(idxPath);
    const fail = (why: string) => new RepoError(`${idxPath}: ${why}`);
    const v2 = idx.length >= 8 && idx.readUInt32BE(0) === 0xff744f63;
    const fanoutAt = v2 ? 8 : 0;
    if (v2 && idx.readUInt32BE(4) !== 2) throw fail(`unsupported index version ${idx.readUInt32BE(4)}`);
    if (idx.length < fanoutAt + 1024) throw fail('truncated fan-out table');
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = idx.readUInt32BE(fanoutAt + i * 4);
    const n = this.fanout[255];
    this.count = n;
    this.oids = new Uint8Array(n * hashLen);
    this.offsets = new Float64Array(n);
    const h = hashLen;
    if (v2) {
      const oidsAt = 8 + 1024;
      const offAt = oidsAt + n * h + n * 4;
      const largeAt = offAt + n * 4;
      if (idx.length < largeAt + 2 * h) throw fail('truncated');
      this.oids.set(idx.subarray(oidsAt, oidsAt + n * h));
      for (let i = 0; i < n; i++) {
        const o = idx.readUInt32BE(offAt + i * 4);
        if (o & 0x80000000) {
          const at = largeAt + (o & 0x7fffffff) * 8;
          if (at + 8 > idx.length - 2 * h) throw fail(`large offset ${o & 0x7fffffff} outside its table`);
          this.offsets[i] = Number(idx.readBigUInt64BE(at));
        } else this.offsets[i] = o;
      }
    } else {
      const entriesAt = 1024;
      if (idx.length < entriesAt + n * (4 + h) + 2 * h) throw fail('truncated');
      for (let i = 0; i < n; i++) {
        const at = entriesAt + i * (4 + h);
        this.offsets[i] = idx.readUInt32BE(at);
        this.oids.set(idx.subarray(at + 4, at + 4 + h), i * h);
      }
    }
    this.packSize = statSync(packPath).size;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.offsets[a] - this.offsets[b]);
    this.byOffset = Uint32Array.from(order);
    const trailerAt = this.packSize - h;
    for (let k = 0; k < n; k++) {
      const off = this.offsets[order[k]];
      if (off < 12 || off >= trailerAt) throw fail(`offset ${off} of entry ${k} lies outside ${packPath} (${this.packSize} bytes)`);
    }
  }

  /** Index of `oid` in id order, or -1. */
  find(oid: Uint8Array): number {
    const h = this.hashLen;
    let lo = oid[0] === 0 ? 0 : this.fanout[oid[0] - 1];
    let hi = this.fanout[oid[0]];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = Buffer.compare(this.oids.subarray(mid * h, mid * h + h), oid);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  oidAt(i: number): Uint8Array {
    return this.oids.subarray(i * this.hashLen, (i + 1) * this.hashLen);
  }

  /** End of the entry at offset-order position k. */
  endOf(k: number): number {
    return k + 1 < this.count ? this.offsets[this.byOffset[k + 1]] : this.packSize - this.hashLen;
  }

  /** Offset-order position of the entry starting at `offset`, or -1. */
  positionOfOffset(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const o = this.offsets[this.byOffset[mid]];
      if (o === offset) return mid;
      if (o < offset) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }
}

/** The packs of an objects directory, each with its index. */
export function packFiles(objectsDir: string): { pack: string; idx: string }[] {
  const dir = join(objectsDir, 'pack');
  if (!existsSync(dir)) return [];
  const out: { pack: string; idx: string }[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.idx')) continue;
    const pack = join(dir, `${name.slice(0, -4)}.pack`);
    if (!existsSync(pack)) continue; // an index without its pack is left over from a crash; git ignores it too
    out.push({ pack, idx: join(dir, name) });
  }
  return out;
}

export function listPacks(objectsDir: string, hashLen: number): PackIndex[] {
  return packFiles(objectsDir).map((f) => new PackIndex(f.pack, f.idx, hashLen));
}

/** Whether an objects directory has any loose-object fan-out directory (objects/xx). */
export function hasLooseObjects(objectsDir: string): boolean {
  return readdirSync(objectsDir).some((name) => /^[0-9a-f]{2}$/.test(name));
}

export function listLoose(objectsDir: string, hashLen: number): { oid: string; path: string }[] {
  const out: { oid: string; path: string }[] = [];
  const rest = hashLen * 2 - 2;
  for (let i = 0; i < 256; i++) {
    const fan = i.toString(16).padStart(2, '0');
    const d = join(objectsDir, fan);
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.length === rest && /^[0-9a-f]+$/.test(name)) out.push({ oid: fan + name, path: join(d, name) });
    }
  }
  return out;
}

/** Base cache of the core's reader here: a few tags are read, and a fresh core would grow its memory by the default 32 MiB for it. */
const CACHE_BYTES = 1 << 20;

/**
 * Objects of the source repository by id, for the few the advertisement needs
 * (tags to peel), and entry headers of its packs for the fetch: packed objects
 * through the core's reader, loose ones inflated by the core. SHA-1 and SHA-256
 * repositories alike (the core reader takes the id length).
 */
export class SourceObjects {
  private readonly store: ObjectStore;
  private readonly packPaths: string[];

  constructor(
    private readonly core: LocalCore,
    private readonly dirs: string[],
    packs: PackHandle[],
    readonly hashLen: number,
    /** The core's base cache: small unless `bigCache`, for a reader of many objects (the core's default then). */
    bigCache = false,
  ) {
    this.packPaths = packs.map((p) => String(p.pack));
    const opts = { objectFormat: hashLen === 32 ? ('sha256' as const) : ('sha1' as const), cacheBytes: bigCache ? undefined : CACHE_BYTES };
    this.store = asRepoError('', () => ObjectStore.open(core.core, packs, opts));
  }

  close(): void {
    this.store.close();
  }

  /** The header of the entry at `offset` of pack number `pack` (its place in the list given), parsed by the core. */
  entryHeader(pack: number, offset: number): EntryHeader {
    return asRepoError(`${this.packPaths[pack]}: `, () => this.store.entryHeader(pack, offset));
  }

  private loosePath(oid: string): string | null {
    for (const d of this.dirs) {
      const p = join(d, oid.slice(0, 2), oid.slice(2));
      if (existsSync(p)) return p;
    }
    return null;
  }

  /** Where the packs hold `oid` (the first pack that has it, in the order given), or null. */
  entryOf(oid: string | Uint8Array): { pack: number; offset: number } | null {
    return this.store.entryOf(oid);
  }

  /** Whether the repository stores `oid` (loose or in a pack). */
  has(oid: string): boolean {
    return this.loosePath(oid) !== null || this.store.entryOf(oid) !== null;
  }

  /** Inflates a loose object file (all of it, or until `limit` bytes came out). */
  private async inflateFile(path: string, limit?: number): Promise<Uint8Array> {
    const fd = openSync(path, 'r');
    try {
      const parts: Uint8Array[] = [];
      let total = 0;
      let pos = 0;
      await this.core.inflate(
        (dst) => {
          const n = readSync(fd, dst, 0, dst.length, pos);
          pos += n;
          return n;
        },
        (ptr, len) => {
          parts.push(this.core.core.bytes(ptr, len).slice());
          total += len;
          return limit === undefined || total < limit;
        },
      );
      return Buffer.concat(parts);
    } finally {
      closeSync(fd);
    }
  }

  /** The type of an object, reading as little as possible (entry headers, or a loose object's first bytes). */
  async typeOf(oid: string): Promise<number> {
    const at = this.store.entryOf(oid);
    if (!at) {
      const loose = this.loosePath(oid);
      if (!loose) throw new RepoError(`object ${oid} is missing`);
      const head = await this.inflateFile(loose, 64);
      return typeCode(Buffer.from(head).toString('latin1').split(' ')[0]);
    }
    let { offset } = at;
    for (let depth = 0; depth < 10000; depth++) {
      const h = this.entryHeader(at.pack, offset);
      if (h.type === OBJ_OFS_DELTA) offset = h.baseOffset!;
      else if (h.type === OBJ_REF_DELTA) return this.typeOf(Buffer.from(h.baseId!).toString('hex'));
      else return h.type;
    }
    throw new RepoError(`${this.packPaths[at.pack]}: delta chain too deep at offset ${at.offset}`);
  }

  /** The object `oid`: the core reads it from the packs, or else it is a loose one. */
  async read(id: string | Uint8Array): Promise<{ type: number; data: Uint8Array }> {
    const at = this.store.entryOf(id);
    if (at) {
      const { type, data } = asRepoError(`${this.packPaths[at.pack]}: `, () => this.store.read(id));
      return { type: typeCode(type), data };
    }
    const oid = typeof id === 'string' ? id : Buffer.from(id).toString('hex');
    const loose = this.loosePath(oid);
    if (!loose) throw new RepoError(`object ${oid} is missing`);
    const all = await this.inflateFile(loose);
    const nul = all.indexOf(0);
    const [typeName, sizeText] = Buffer.from(all.subarray(0, nul)).toString('latin1').split(' ');
    const data = all.subarray(nul + 1);
    if (nul < 0 || Number(sizeText) !== data.length) throw new RepoError(`${loose}: bad loose object header`);
    return { type: typeCode(typeName), data };
  }

  /** Follows tag objects to the first non-tag object. */
  async peel(oid: string): Promise<string> {
    let cur = oid;
    for (let depth = 0; depth < 100; depth++) {
      const { type, data } = await this.read(cur);
      if (type !== typeCode('tag')) return cur;
      const m = /^object ([0-9a-f]+)$/m.exec(Buffer.from(data).toString('latin1'));
      if (!m) throw new RepoError(`tag ${cur} has no object line`);
      cur = m[1];
    }
    throw new RepoError(`tag ${oid} nests more than 100 deep`);
  }
}

/** The core's verdict on a damaged pack or index, as the repository error it is (prefixed with the pack's path). */
function asRepoError<T>(where: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof CoreError) throw new RepoError(where + err.message);
    throw err;
  }
}

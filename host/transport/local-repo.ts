// Reading a repository on disk without git (where its git directory is:
// host/repo/git-dir.ts): its refs
// (HEAD, loose refs, packed-refs with peeled lines), its object directories
// (alternates included), pack indexes (.idx v1 and v2, gitformat-pack) and single
// objects (to peel annotated tags). Files are read with ordinary positioned reads;
// nothing is mapped. Object data is inflated and deltas applied by the core.

import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { LocalCore } from './local-core.ts';

export class RepoError extends Error {}

export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;
const TYPE_NAMES = ['', 'commit', 'tree', 'blob', 'tag'];

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
        if (line.startsWith('^')) {
          if (!last) throw new RepoError(`${packed}:${i + 1}: peeled line without a ref`);
          peeled.set(last, line.slice(1).trim());
          return;
        }
        const sp = line.indexOf(' ');
        if (sp < 0) throw new RepoError(`${packed}:${i + 1}: bad line '${line}'`);
        last = line.slice(sp + 1).trim();
        values.set(last, line.slice(0, sp));
        if (/\bfully-peeled\b/.test(traits) || (/\bpeeled\b/.test(traits) && last.startsWith('refs/tags/'))) knownUnpeelable.add(last);
      });
    for (const name of peeled.keys()) knownUnpeelable.delete(name);
  }
  const loose = new Map<string, string>();
  walkLooseRefs(join(commonDir, 'refs'), 'refs', loose);
  for (const [name, value] of loose) {
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
    const alt = join(abs, 'info', 'alternates');
    if (!existsSync(alt)) return;
    for (let line of readFileSync(alt, 'utf8').split('\n')) {
      line = line.trim();
      if (!line || line.startsWith('#')) continue;
      if (line.startsWith('"')) throw new RepoError(`${alt}: quoted alternate paths are not supported`);
      visit(isAbsolute(line) ? line : resolve(abs, line), depth + 1);
    }
  };
  visit(join(commonDir, 'objects'), 0);
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

export function listPacks(objectsDir: string, hashLen: number): PackIndex[] {
  const dir = join(objectsDir, 'pack');
  if (!existsSync(dir)) return [];
  const out: PackIndex[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.idx')) continue;
    const pack = join(dir, `${name.slice(0, -4)}.pack`);
    if (!existsSync(pack)) continue; // an index without its pack is left over from a crash; git ignores it too
    out.push(new PackIndex(pack, join(dir, name), hashLen));
  }
  return out;
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

/** Entry header at `offset`: type, inflated size, header length, and for OFS_DELTA the base's offset. */
export interface EntryHeader {
  type: number;
  size: number;
  headerLen: number;
  baseOffset?: number;
  baseOid?: Uint8Array;
}

export function readEntryHeader(fd: number, pack: PackIndex, offset: number): EntryHeader {
  const buf = Buffer.alloc(32 + pack.hashLen);
  const got = readSync(fd, buf, 0, buf.length, offset);
  const fail = (why: string) => new RepoError(`${pack.packPath}: ${why} at offset ${offset}`);
  let i = 0;
  const next = () => {
    if (i >= got) throw fail('truncated entry header');
    return buf[i++];
  };
  let b = next();
  const type = (b >> 4) & 7;
  let size = b & 15;
  let shift = 4;
  while (b & 0x80) {
    b = next();
    size += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (shift > 63) throw fail('entry size varint too long');
  }
  if (type === 0 || type === 5) throw fail(`invalid object type ${type}`);
  if (type === OBJ_OFS_DELTA) {
    // Base offset: big-endian base-128 with a +1 bias on each continuation (gitformat-pack, "offset encoding").
    b = next();
    let dist = b & 0x7f;
    while (b & 0x80) {
      b = next();
      dist = (dist + 1) * 128 + (b & 0x7f);
    }
    if (dist <= 0 || dist > offset) throw fail(`delta base offset ${dist} points before the pack`);
    return { type, size, headerLen: i, baseOffset: offset - dist };
  }
  if (type === OBJ_REF_DELTA) {
    if (i + pack.hashLen > got) throw fail('truncated REF_DELTA base id');
    return { type, size, headerLen: i + pack.hashLen, baseOid: buf.subarray(i, i + pack.hashLen) };
  }
  return { type, size, headerLen: i };
}

/** Reads objects by id from loose files and packs, for the few the advertisement needs (tags to peel). */
export class ObjectReader {
  private readonly fds = new Map<string, number>();

  constructor(
    private readonly core: LocalCore,
    private readonly dirs: string[],
    private readonly packs: PackIndex[],
    private readonly hashLen: number,
  ) {}

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      this.fds.set(path, fd);
    }
    return fd;
  }

  private loosePath(oid: string): string | null {
    for (const d of this.dirs) {
      const p = join(d, oid.slice(0, 2), oid.slice(2));
      if (existsSync(p)) return p;
    }
    return null;
  }

  private locate(oid: string): { pack: PackIndex; offset: number } | null {
    const bin = Buffer.from(oid, 'hex');
    for (const pack of this.packs) {
      const i = pack.find(bin);
      if (i >= 0) return { pack, offset: pack.offsets[i] };
    }
    return null;
  }

  /** Inflates a zlib stream starting at `position` in an open file. */
  private async inflateAt(fd: number, position: number, size: number | undefined, limit?: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    let pos = position;
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
      size,
    );
    return Buffer.concat(parts);
  }

  /** The type of an object, reading as little as possible (entry headers, or a loose object's first bytes). */
  async typeOf(oid: string): Promise<number> {
    const loose = this.loosePath(oid);
    if (loose) {
      const head = await this.inflateAt(this.fd(loose), 0, undefined, 64);
      return typeCode(Buffer.from(head).toString('latin1').split(' ')[0]);
    }
    const at = this.locate(oid);
    if (!at) throw new RepoError(`object ${oid} is missing`);
    let { pack, offset } = at;
    for (let depth = 0; depth < 10000; depth++) {
      const h = readEntryHeader(this.fd(pack.packPath), pack, offset);
      if (h.type === OBJ_OFS_DELTA) offset = h.baseOffset!;
      else if (h.type === OBJ_REF_DELTA) return this.typeOf(Buffer.from(h.baseOid!).toString('hex'));
      else return h.type;
    }
    throw new RepoError(`${pack.packPath}: delta chain too deep at offset ${at.offset}`);
  }

  async read(oid: string): Promise<{ type: number; data: Uint8Array }> {
    const loose = this.loosePath(oid);
    if (loose) {
      const all = await this.inflateAt(this.fd(loose), 0, undefined);
      const nul = all.indexOf(0);
      const [typeName, sizeText] = Buffer.from(all.subarray(0, nul)).toString('latin1').split(' ');
      const data = all.subarray(nul + 1);
      if (nul < 0 || Number(sizeText) !== data.length) throw new RepoError(`${loose}: bad loose object header`);
      return { type: typeCode(typeName), data };
    }
    const at = this.locate(oid);
    if (!at) throw new RepoError(`object ${oid} is missing`);
    return this.readPacked(at.pack, at.offset, 0);
  }

  private async readPacked(pack: PackIndex, offset: number, depth: number): Promise<{ type: number; data: Uint8Array }> {
    if (depth > 10000) throw new RepoError(`${pack.packPath}: delta chain too deep at offset ${offset}`);
    const fd = this.fd(pack.packPath);
    const h = readEntryHeader(fd, pack, offset);
    const data = await this.inflateAt(fd, offset + h.headerLen, h.size);
    if (h.type === OBJ_OFS_DELTA) {
      const base = await this.readPacked(pack, h.baseOffset!, depth + 1);
      return { type: base.type, data: this.core.applyDelta(base.data, data) };
    }
    if (h.type === OBJ_REF_DELTA) {
      const base = await this.read(Buffer.from(h.baseOid!).toString('hex'));
      return { type: base.type, data: this.core.applyDelta(base.data, data) };
    }
    return { type: h.type, data };
  }

  /** Follows tag objects to the first non-tag object. */
  async peel(oid: string): Promise<string> {
    let cur = oid;
    for (let depth = 0; depth < 100; depth++) {
      const { type, data } = await this.read(cur);
      if (type !== OBJ_TAG) return cur;
      const m = /^object ([0-9a-f]+)$/m.exec(Buffer.from(data).toString('latin1'));
      if (!m) throw new RepoError(`tag ${cur} has no object line`);
      cur = m[1];
    }
    throw new RepoError(`tag ${oid} nests more than 100 deep`);
  }
}


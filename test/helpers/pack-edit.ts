// Taking packs apart and putting them back together, to make corrupt packs from
// good ones. Entry boundaries come from git verify-pack -v (git, not us, says
// where each entry starts and ends); entries are rewritten with node:zlib.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { git } from './git.ts';

export interface ListedEntry {
  id: string;
  type: string;
  size: number;
  sizeInPack: number;
  offset: number;
  depth?: number;
  baseId?: string;
}

/** Entries of the pack whose .idx is `idxPath`, in pack order, as git verify-pack -v lists them. */
export function listEntries(cwd: string, idxPath: string): ListedEntry[] {
  const out: ListedEntry[] = [];
  for (const line of git(cwd, ['verify-pack', '-v', idxPath]).split('\n')) {
    const m = /^([0-9a-f]{40}) (\w+)\s+(\d+) (\d+) (\d+)(?: (\d+) ([0-9a-f]{40}))?$/.exec(line);
    if (!m) continue;
    out.push({ id: m[1], type: m[2], size: +m[3], sizeInPack: +m[4], offset: +m[5], depth: m[6] ? +m[6] : undefined, baseId: m[7] });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** An entry header: type and size (gitformat-pack "Size encoding"), then a REF_DELTA's base id. */
export function entryHeader(type: number, size: number, baseId?: Buffer): Buffer {
  const bytes: number[] = [];
  let c = (type << 4) | (size & 15);
  size = Math.floor(size / 16);
  while (size) {
    bytes.push(c | 0x80);
    c = size & 0x7f;
    size = Math.floor(size / 128);
  }
  bytes.push(c);
  return baseId ? Buffer.concat([Buffer.from(bytes), baseId]) : Buffer.from(bytes);
}

/** The parts of one raw entry: type, declared size, header length, zlib data. */
export function splitEntry(raw: Buffer): { type: number; size: number; headerLen: number; baseId?: Buffer; zdata: Buffer } {
  let p = 0;
  let c = raw[p++];
  const type = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    c = raw[p++];
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  }
  let baseId: Buffer | undefined;
  if (type === 6) {
    c = raw[p++];
    while (c & 0x80) c = raw[p++];
  } else if (type === 7) {
    baseId = raw.subarray(p, p + 20);
    p += 20;
  }
  return { type, size, headerLen: p, baseId, zdata: raw.subarray(p) };
}

export function inflateEntry(raw: Buffer): Buffer {
  return inflateSync(splitEntry(raw).zdata);
}

/** A pack of the given raw entries, with a correct header count (unless `count` says otherwise) and trailer. */
export function buildPack(entries: Buffer[], count = entries.length): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(count, 8);
  return withTrailer(Buffer.concat([head, ...entries]));
}

/** `body` (a pack without its trailer) followed by its SHA-1. */
export function withTrailer(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** The raw entries of `pack`, cut where git says they are. */
export function rawEntries(pack: Buffer, listed: ListedEntry[]): Buffer[] {
  return listed.map((e) => pack.subarray(e.offset, e.offset + e.sizeInPack));
}

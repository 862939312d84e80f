// The pack indexer (assembly/pack/: entry parser, delta resolution, .idx), on
// whole packs git wrote, against git index-pack itself.
//
// Mutation works on a model of the pack as well as on its bytes: entries are
// inflated, changed (declared sizes enlarged, delta headers and bases rewritten,
// types changed, entries dropped, duplicated or reordered, content altered and
// recompressed) and written back with OFS_DELTA distances recomputed and, most
// of the time, a correct trailer, so that a mutation reaches pass 2 rather than
// stopping at the checksum.
//
// Every run ends in an .idx or a CoreError. git index-pack is asked about every
// pack we accept (our .idx must be byte-identical to git's) and about a sample
// of those we refuse (git must refuse them too).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { PackCore } from '../../../host/core/pack.ts';
import { gitEnv } from '../../helpers/git.ts';
import { Rng } from '../prng.ts';
import { biggerSize, decodePackHeader, encodePackHeader, encodeVarint, decodeVarint } from '../mutate.ts';
import { Failure, bucket, messageClass, type Sandbox } from '../sandbox.ts';
import type { Outcome, Target } from '../target.ts';

const OBJ_OFS_DELTA = 6;
const OBJ_REF_DELTA = 7;
/** The cap given to the core for pass 2, and what linear memory may reach. */
const MEMORY_LIMIT = 256 << 20;

interface Entry {
  type: number;
  /** Declared size (the header's); normally data.length. */
  size: bigint;
  /** Inflated content (a delta, for delta entries). */
  data: Uint8Array;
  /** Compressed bytes as stored (kept when content is unchanged). */
  z: Uint8Array | null;
  /** OFS_DELTA: index of the base entry in this list. */
  base?: number;
  /** REF_DELTA: the base id. */
  ref?: Uint8Array;
}

interface Model {
  version: number;
  count: number;
  entries: Entry[];
}

/** Takes a pack apart; null when it is not one (a mutated input). */
export function parsePack(d: Uint8Array): Model | null {
  if (d.length < 32 || d[0] !== 0x50 || d[1] !== 0x41 || d[2] !== 0x43 || d[3] !== 0x4b) return null;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const version = view.getUint32(4), count = view.getUint32(8);
  const entries: Entry[] = [];
  const at = new Map<number, number>();
  let p = 12;
  const end = d.length - 20;
  while (p < end && entries.length < count) {
    const start = p;
    const h = decodePackHeader(d, p);
    if (!h) return null;
    p += h.len;
    const e: Entry = { type: h.type, size: h.size, data: new Uint8Array(0), z: null };
    if (h.type === OBJ_OFS_DELTA) {
      let c = d[p++];
      let ofs = c & 0x7f;
      while (c & 0x80) {
        c = d[p++];
        ofs = (ofs + 1) * 128 + (c & 0x7f);
      }
      const base = at.get(start - ofs);
      if (base === undefined) return null;
      e.base = base;
    } else if (h.type === OBJ_REF_DELTA) {
      e.ref = d.slice(p, p + 20);
      p += 20;
    }
    try {
      const r = zlib.inflateSync(d.subarray(p, end), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      e.data = new Uint8Array(r.buffer);
      e.z = d.slice(p, p + r.engine.bytesWritten);
      p += r.engine.bytesWritten;
    } catch {
      return null;
    }
    at.set(start, entries.length);
    entries.push(e);
  }
  return { version, count, entries };
}

/** Puts a model back together; OFS_DELTA distances follow the entries' new places. */
export function writePack(m: Model, trailer: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(12);
  head.set([0x50, 0x41, 0x43, 0x4b]);
  new DataView(head.buffer).setUint32(4, m.version);
  new DataView(head.buffer).setUint32(8, m.count);
  parts.push(head);
  const offsets: number[] = [];
  let off = 12;
  m.entries.forEach((e, i) => {
    offsets[i] = off;
    const bytes: number[] = encodePackHeader(e.type, e.size);
    if (e.type === OBJ_OFS_DELTA) {
      // A base that comes later (or is itself) cannot be written as a
      // backwards distance: point at the entry's own header instead.
      let dist = e.base !== undefined && e.base < i ? off - offsets[e.base] : 0;
      const enc = [dist & 0x7f];
      while ((dist >>= 7)) enc.unshift(0x80 | (--dist & 0x7f));
      bytes.push(...enc);
    } else if (e.type === OBJ_REF_DELTA) bytes.push(...(e.ref ?? new Uint8Array(20)));
    const z = e.z ?? zlib.deflateSync(e.data);
    const hdr = Uint8Array.from(bytes);
    parts.push(hdr, z);
    off += hdr.length + z.length;
  });
  const body = Buffer.concat(parts);
  const sum = createHash('sha1').update(body).digest();
  if (!trailer) sum[0] ^= 1;
  return Buffer.concat([body, sum]);
}

function fixTrailer(d: Uint8Array): Uint8Array {
  if (d.length < 20) return d;
  const out = new Uint8Array(d);
  out.set(createHash('sha1').update(d.subarray(0, d.length - 20)).digest(), d.length - 20);
  return out;
}

/** One change to the model. */
function mutateModel(m: Model, rng: Rng, generic: (d: Uint8Array) => Uint8Array, ids: Uint8Array[]): void {
  const n = m.entries.length;
  if (!n) return;
  const i = rng.below(n);
  const e = m.entries[i];
  switch (rng.below(12)) {
    case 0: case 1: // the declared size: the bomb that claims more than it holds
      e.size = biggerSize(rng, e.size);
      break;
    case 2: { // delta header: enlarge the base or result size
      if (e.type !== OBJ_OFS_DELTA && e.type !== OBJ_REF_DELTA) return mutateModel(m, rng, generic, ids);
      const which = rng.below(2);
      const a = decodeVarint(e.data, 0);
      if (!a) return;
      const at = which ? a.len : 0;
      const v = decodeVarint(e.data, at);
      if (!v) return;
      const enc = encodeVarint(biggerSize(rng, v.value));
      const out = new Uint8Array(e.data.length - v.len + enc.length);
      out.set(e.data.subarray(0, at));
      out.set(enc, at);
      out.set(e.data.subarray(at + v.len), at + enc.length);
      e.data = out;
      e.z = null;
      if (rng.chance(0.8)) e.size = BigInt(out.length);
      break;
    }
    case 3: case 4: // content changed and recompressed
      e.data = generic(e.data);
      e.z = null;
      if (rng.chance(0.8)) e.size = BigInt(e.data.length);
      break;
    case 5: // the compressed bytes themselves
      e.z = generic(e.z ?? zlib.deflateSync(e.data));
      break;
    case 6: // another base: any entry, itself, or a later one (cycles, forward references)
      if (e.type === OBJ_OFS_DELTA) e.base = rng.below(n);
      else if (e.type === OBJ_REF_DELTA) e.ref = rng.chance(0.7) && ids.length ? rng.pick(ids) : rng.bytes(20);
      else return mutateModel(m, rng, generic, ids);
      break;
    case 7: // another type, including the invalid 0 and reserved 5
      e.type = rng.below(8);
      if (e.type === OBJ_OFS_DELTA) e.base = rng.below(n);
      if (e.type === OBJ_REF_DELTA) e.ref = ids.length ? rng.pick(ids) : rng.bytes(20);
      break;
    case 8: { // drop an entry (its dependants now point elsewhere)
      m.entries.splice(i, 1);
      for (const x of m.entries) if (x.base !== undefined && x.base >= i) x.base = Math.max(0, x.base - 1);
      if (rng.chance(0.7)) m.count = m.entries.length;
      break;
    }
    case 9: { // duplicate an entry
      m.entries.splice(i + 1, 0, { ...e });
      for (let k = i + 2; k < m.entries.length; k++) {
        const x = m.entries[k];
        if (x.base !== undefined && x.base > i) x.base++;
      }
      if (rng.chance(0.7)) m.count = m.entries.length;
      break;
    }
    case 10: { // swap two entries: OFS bases may now come after their deltas
      const j = rng.below(n);
      [m.entries[i], m.entries[j]] = [m.entries[j], m.entries[i]];
      for (const x of m.entries) {
        if (x.base === i) x.base = j;
        else if (x.base === j) x.base = i;
      }
      break;
    }
    default: // the header: object count or version
      if (rng.chance(0.7)) m.count = Math.max(0, m.count + rng.range(-2, 2));
      else m.version = rng.pick([1, 3, 4, 0xffffffff]);
  }
}

/** Ids of the objects in the seed packs, for REF_DELTA bases that exist. */
let knownIds: Uint8Array[] = [];

/** git index-pack's verdict and .idx (in a directory of its own, removed at once: workers are killed, not exited). */
function gitIndexPack(pack: Uint8Array): { ok: true; idx: Uint8Array } | { ok: false; message: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-fuzz-pack-'));
  try {
    const p = join(dir, 'x.pack');
    const i = join(dir, 'x.idx');
    writeFileSync(p, pack);
    try {
      execFileSync('git', ['index-pack', '-o', i, p], { cwd: dir, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      return { ok: true, idx: readFileSync(i) };
    } catch (e) {
      return { ok: false, message: String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0] };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const packTarget: Target = {
  name: 'pack',
  maxLen: 1 << 20,
  recycleEvery: 1, // one pack per instance, as index-pack does
  seeds(s) {
    knownIds = [];
    for (const p of s.packs) for (const r of p.rows) knownIds.push(Buffer.from(r.id, 'hex'));
    return s.packs.map((p) => p.pack);
  },
  mutate(data, rng, generic) {
    if (rng.chance(0.7)) {
      const m = parsePack(data);
      if (m) {
        for (let k = rng.small(3); k > 0; k--) mutateModel(m, rng, generic, knownIds);
        return writePack(m, rng.chance(0.9));
      }
    }
    const out = generic(data);
    return rng.chance(0.85) ? fixTrailer(out) : out;
  },
  run(sb: Sandbox, input: Uint8Array, runSeed: number): Outcome {
    const rng = new Rng(runSeed, 17);
    const pc = new PackCore(sb.core);
    const chunk = rng.pick([1, 7, 100, 4096, 65536, input.length || 1]);
    const known = rng.chance(0.5);
    let phase = 'scan';
    let idx: Uint8Array | null = null;
    let count = 0;
    let err: { code: number; message: string } | null = null;
    try {
      pc.scanBegin(known ? input.length : undefined);
      for (let off = 0; off < input.length; off += chunk) pc.scanPush(input.subarray(off, off + chunk));
      count = pc.scanEnd();
      phase = 'resolve';
      pc.resolveBegin({ readAt: (o, dst) => { const s = input.subarray(o, o + dst.length); dst.set(s); return s.length; } }, {
        cacheLimit: rng.pick([0, 1, 4096, 1 << 20]), memoryLimit: MEMORY_LIMIT,
      });
      pc.resolveAll();
      pc.resolveCheck();
      phase = 'idx';
      idx = pc.buildIdx();
    } catch (e) {
      err = sb.answer(e, `pack ${phase}`);
    }
    if (sb.memoryBytes() > MEMORY_LIMIT + (64 << 20)) {
      throw new Failure('memory', `indexing a ${input.length}-byte pack grew linear memory to ${sb.memoryBytes()} bytes (${phase}${err ? `: ${err.message}` : ''})`);
    }
    sb.verify();
    // git's word: on everything we accept, and on a sample of what we refuse.
    if (idx || rng.chance(1 / 16)) {
      const g = gitIndexPack(input);
      // git cannot resolve a REF_DELTA whose base appears twice in the pack (it
      // dies with "already resolved"); such a pack has no oracle.
      if (!g.ok && /already resolved \(duplicate base/.test(g.message)) return { signature: `duplicate-base|${idx ? 'ok' : err!.code}` };
      if (idx && !g.ok) throw new Failure('differential', `the core indexed a pack git index-pack refuses (${g.message})`);
      if (idx && g.ok && Buffer.compare(Buffer.from(idx), Buffer.from(g.idx)) !== 0) throw new Failure('differential', `the core's .idx differs from git's (${idx.length} vs ${g.idx.length} bytes)`);
      if (!idx && g.ok) throw new Failure('differential', `the core refused a pack git index-pack accepts: ${err!.message}`);
    }
    if (idx) return { signature: `ok|${bucket(count)}` };
    return { signature: `${phase}|${err!.code}|${messageClass(err!.message)}` };
  },
};

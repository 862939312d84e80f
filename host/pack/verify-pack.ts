// `verify-pack`: index the pack again, compare with its .idx, and describe it
// the way git verify-pack -v does (git's index-pack --verify-stat, function
// show_pack_info() in builtin/index-pack.c): one line per object in pack order,
// then the number of non-delta objects and the chain-length histogram.
import { readFileSync } from 'node:fs';
import { OBJ_OFS_DELTA, TYPE_NAMES, type EntryTable } from '../core/pack.ts';
import { indexPackFile, type IndexOptions } from './index-pack.ts';

export interface VerifyResult {
  /** The pack the .idx belongs to (its name with .pack for .idx, as git derives it). */
  packPath: string;
  /** The listing verify-pack -v prints (empty unless asked for). */
  listing: string;
  /** The histogram verify-pack -v and -s print. */
  histogram: string;
}

/** The .pack git verify-pack checks for a given argument. */
export function packPathFor(arg: string): string {
  if (arg.endsWith('.idx')) return arg.slice(0, -'.idx'.length) + '.pack';
  return arg.endsWith('.pack') ? arg : arg + '.pack';
}

/** The matching .idx path (git's index-pack --verify reads `<pack minus .pack>.idx`). */
function idxPathOf(packPath: string): string {
  return packPath.slice(0, -'.pack'.length) + '.idx';
}

/** Renders the per-object lines of verify-pack -v. */
export function listObjects(t: EntryTable): string {
  const lines: string[] = [];
  const idHex = (i: number) => Buffer.from(t.ids.buffer, t.ids.byteOffset + i * 20, 20).toString('hex');
  for (let i = 0; i < t.count; i++) {
    const type = TYPE_NAMES[t.kinds[i]] ?? 'unknown';
    let line = `${idHex(i)} ${type.padEnd(6)} ${t.sizes[i]} ${t.offsets[i + 1] - t.offsets[i]} ${t.offsets[i]}`;
    if (t.types[i] >= OBJ_OFS_DELTA) line += ` ${t.depths[i]} ${idHex(t.bases[i])}`;
    lines.push(line + '\n');
  }
  return lines.join('');
}

/** Renders "non delta: N objects" and the chain-length histogram. */
export function histogram(t: EntryTable): string {
  let bases = 0;
  const chains: number[] = [];
  for (let i = 0; i < t.count; i++) {
    if (t.types[i] < OBJ_OFS_DELTA) bases++;
    else chains[t.depths[i] - 1] = (chains[t.depths[i] - 1] ?? 0) + 1;
  }
  let out = '';
  const objects = (n: number) => `${n} object${n === 1 ? '' : 's'}`;
  if (bases) out += `non delta: ${objects(bases)}\n`;
  for (let d = 0; d < chains.length; d++) {
    if (chains[d]) out += `chain length = ${d + 1}: ${objects(chains[d])}\n`;
  }
  return out;
}

/**
 * Verifies one pack against its .idx: the pack must index cleanly and the index
 * computed must equal the file byte for byte. Throws with the reason otherwise.
 */
export async function verifyPack(arg: string, opts: IndexOptions & { listing?: boolean } = {}): Promise<VerifyResult> {
  const packPath = packPathFor(arg);
  const idxPath = idxPathOf(packPath);
  let existing: Buffer;
  try {
    existing = readFileSync(idxPath);
  } catch (err) {
    throw new Error(`cannot open existing pack idx file for '${packPath}': ${(err as Error).message}`);
  }
  const r = await indexPackFile(packPath, { ...opts, table: true });
  if (!Buffer.from(r.idx.buffer, r.idx.byteOffset, r.idx.byteLength).equals(existing)) {
    throw new Error(`${idxPath} does not match the index of ${packPath} (${existing.length} bytes, expected ${r.idx.length})`);
  }
  return { packPath, listing: opts.listing ? listObjects(r.table!) : '', histogram: histogram(r.table!) };
}

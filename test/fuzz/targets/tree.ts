// Tree parsing and the path-safety rules (assembly/tree.ts, path-safety.ts),
// on trees git wrote, against a reference of the tree format (git's
// decode_tree_entry and fsck_tree ordering) and a list of names no checkout
// may accept whatever else the rules decide.
//
// Mutations swap in hostile names (`.git` spelled as NTFS, HFS+ and Windows
// would read it, `..`, `git~1`, names with `/`), odd modes, duplicates and
// reordered entries, as well as the generic byte mutations.
import { Rng } from '../prng.ts';
import { Failure, messageClass, type Sandbox } from '../sandbox.ts';
import type { Outcome, Target } from '../target.ts';

const E_TREE = -40, E_PATH = -41;
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFGITLINK = 0o160000;

interface RefEntry { mode: number; canon: number; nameOff: number; name: Uint8Array; id: Uint8Array; at: number }

/** The tree format alone: entries, or where it breaks. */
function referenceParse(d: Uint8Array): { entries: RefEntry[]; formatErrorAt?: number } {
  const entries: RefEntry[] = [];
  let p = 0;
  while (p < d.length) {
    const at = p;
    let mode = 0, digits = 0;
    while (p < d.length && d[p] !== 0x20) {
      const c = d[p] - 0x30;
      if (c < 0 || c > 7 || ++digits > 7) return { entries, formatErrorAt: at };
      mode = mode * 8 + c;
      p++;
    }
    if (p >= d.length || digits === 0) return { entries, formatErrorAt: at };
    p++;
    const nameOff = p;
    while (p < d.length && d[p] !== 0) p++;
    if (p >= d.length) return { entries, formatErrorAt: at };
    const name = d.subarray(nameOff, p);
    p++;
    if (d.length - p < 20) return { entries, formatErrorAt: at };
    const id = d.subarray(p, p + 20);
    p += 20;
    const type = mode & S_IFMT;
    let canon: number;
    if (type === S_IFREG) canon = mode & 0o111 ? 0o100755 : 0o100644;
    else if (type === S_IFDIR || type === S_IFLNK || type === S_IFGITLINK) canon = type;
    else return { entries, formatErrorAt: at };
    entries.push({ mode, canon, nameOff, name, id, at });
  }
  return { entries };
}

const dec = new TextDecoder('utf-8', { fatal: false });

/** Names that must never reach a work tree, by any rule set (a floor, not the rules themselves). */
function obviouslyUnsafe(e: RefEntry): string | null {
  const n = e.name;
  const s = dec.decode(n);
  const lower = s.toLowerCase();
  if (n.length === 0) return 'empty name';
  if (n.includes(0x2f)) return "name with '/'";
  if (s === '.' || s === '..') return `'${s}'`;
  if (/^\.git[. ]*$/.test(lower)) return `'${s}' (.git)`;
  if (/^git~1[. ]*$/.test(lower)) return `'${s}' (git~1)`;
  if (lower === '.gitmodules' && e.canon === S_IFLNK) return '.gitmodules as a symlink';
  return null;
}

/** Orders as git does: a subtree's name compares as if followed by '/'. */
function compare(a: RefEntry, b: RefEntry): number {
  const n = Math.min(a.name.length, b.name.length);
  for (let i = 0; i < n; i++) if (a.name[i] !== b.name[i]) return a.name[i] - b.name[i];
  const ca = a.name.length > n ? a.name[n] : a.canon === S_IFDIR ? 0x2f : 0;
  const cb = b.name.length > n ? b.name[n] : b.canon === S_IFDIR ? 0x2f : 0;
  return ca - cb;
}

const HOSTILE = ['.git', '.GIT', '.Git', '.git.', '.git ', '.git. .', 'git~1', 'GIT~1', '..', '.', 'a/b', '/', '',
  '.git::$INDEX_ALLOCATION', '.gi\u200ct', '.git\u200d', '\u200c.git', '.gitmodules', '.GITMODULES', 'gitmod~1', '.git\\x', 'x\\.git', 'con', 'a\u0000b'];
const MODES = ['100644', '100755', '40000', '040000', '120000', '160000', '100664', '0100644', '1', '7777777', '644', '140000', ''];

interface Row { mode: string; name: Uint8Array; id: Uint8Array }

function rows(d: Uint8Array): Row[] | null {
  const r = referenceParse(d);
  if (r.formatErrorAt !== undefined) return null;
  return r.entries.map((e) => ({ mode: dec.decode(d.subarray(e.at, e.nameOff - 1)), name: e.name, id: e.id }));
}

function writeRows(rs: Row[]): Uint8Array {
  const parts: number[] = [];
  for (const r of rs) parts.push(...Buffer.from(r.mode + ' '), ...r.name, 0, ...r.id);
  return Uint8Array.from(parts);
}

export const treeTarget: Target = {
  name: 'tree',
  maxLen: 1 << 16,
  seeds: (s) => s.trees,
  mutate(data, rng, generic) {
    const rs = rng.chance(0.6) ? rows(data) : null;
    if (!rs || !rs.length) return generic(data);
    const i = rng.below(rs.length);
    switch (rng.below(5)) {
      case 0: case 1: rs[i].name = Buffer.from(rng.pick(HOSTILE)); break;
      case 2: rs[i].mode = rng.pick(MODES); break;
      case 3: rs.splice(rng.below(rs.length + 1), 0, { ...rs[i], mode: rng.chance(0.5) ? rs[i].mode : rng.pick(MODES) }); break;
      default: { const j = rng.below(rs.length); [rs[i], rs[j]] = [rs[j], rs[i]]; }
    }
    if (rng.chance(0.5)) rs.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    return writeRows(rs);
  },
  run(sb: Sandbox, input: Uint8Array, runSeed: number): Outcome {
    void new Rng(runSeed); // tree parsing has no run-time choices
    const e = sb.core.exports;
    const inp = sb.input(input, 'the tree');
    const n = sb.call('treeParse', () => e.treeParse(inp.ptr, input.length));
    sb.verify();
    const ref = referenceParse(input);
    if (n < 0) {
      const err = sb.error(n, 'treeParse');
      if (n !== E_TREE && n !== E_PATH) throw new Failure('bad-status', `treeParse returned ${n} (${err.message})`);
      if (n === E_TREE && ref.formatErrorAt === undefined) {
        // The format is fine: the refusal must be about order or duplicates.
        if (!/sorted/.test(err.message)) throw new Failure('differential', `treeParse refused a well-formed tree: ${err.message}`);
        const es = ref.entries;
        if (!es.some((x, k) => k > 0 && compare(es[k - 1], x) > 0)) throw new Failure('differential', `treeParse says unsorted, the reference finds the entries sorted`);
      }
      return { signature: `${n}|${messageClass(err.message)}` };
    }
    if (ref.formatErrorAt !== undefined) throw new Failure('differential', `treeParse accepted a tree malformed at byte ${ref.formatErrorAt}`);
    if (n !== ref.entries.length) throw new Failure('differential', `treeParse found ${n} entries, the reference ${ref.entries.length}`);
    const table = new DataView(e.memory.buffer, e.treeEntriesPtr(), n * 16);
    for (let k = 0; k < n; k++) {
      const r = ref.entries[k];
      const mode = table.getUint32(k * 16, true), off = table.getUint32(k * 16 + 4, true), len = table.getUint32(k * 16 + 8, true);
      if (mode !== r.canon || off !== r.nameOff || len !== r.name.length) {
        throw new Failure('differential', `entry ${k}: core (mode ${mode.toString(8)}, name at ${off}+${len}), reference (${r.canon.toString(8)}, ${r.nameOff}+${r.name.length})`);
      }
      const bad = obviouslyUnsafe(r);
      if (bad) throw new Failure('unsafe-accepted', `treeParse accepted the entry ${JSON.stringify(dec.decode(r.name))}: ${bad}`);
      if (k > 0 && compare(ref.entries[k - 1], r) >= 0) throw new Failure('differential', `treeParse accepted entries out of order or duplicated at ${k}`);
    }
    return { signature: `ok|${Math.min(n, 8)}` };
  },
};

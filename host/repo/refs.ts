// Writing refs the way a fresh `git clone` leaves them (refs/files-backend.c and
// refs/packed-backend.c): remote-tracking refs and tags in one sorted
// `packed-refs` file with fully peeled `^<oid>` lines, the checked-out branch and
// symrefs as loose files, and reflogs for the refs git logs by default.
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertRefName } from './refname.ts';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface PackedRef {
  name: string;
  oid: string;
  /** The object the ref finally peels to, when `oid` is an annotated tag. */
  peeled?: string;
}

// packed-backend.c writes this header; `sorted` promises byte order, which readers rely on.
const PACKED_HEADER = '# pack-refs with: peeled fully-peeled sorted \n';

/**
 * Byte-wise comparison of the names' UTF-8, as packed-refs is sorted (strcmp
 * order). Up to the first differing UTF-16 unit the strings are the same; when
 * neither unit there is a surrogate, both are whole code points and UTF-8 bytes
 * order as code points do, so the units decide without encoding anything.
 */
export function compareRefNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) return Buffer.compare(Buffer.from(a), Buffer.from(b));
    return x - y;
  }
  return a.length - b.length;
}

/** `packed-refs` as git writes it: the header, then the refs in name order, each annotated tag followed by what it peels to. */
export function formatPackedRefs(refs: PackedRef[]): string {
  // A plan lists refs in the server's order, which is already sorted or nearly (branches, then tags): sort only when needed.
  let sorted = refs;
  for (let i = 1; i < refs.length; i++) {
    if (compareRefNames(refs[i - 1].name, refs[i].name) > 0) {
      sorted = [...refs].sort((x, y) => compareRefNames(x.name, y.name));
      break;
    }
  }
  const lines: string[] = [PACKED_HEADER];
  for (const r of sorted) {
    lines.push(`${r.oid} ${r.name}\n`);
    if (r.peeled && r.peeled !== r.oid) lines.push(`^${r.peeled}\n`);
  }
  return lines.join('');
}

/**
 * Writes `packed-refs` (formatPackedRefs' text). The names must have been
 * checked already: a clone writes the local names its ref plan made
 * (host/clone/refmap.ts refuses any invalid one before fetching), and checking
 * them again would be a second pass over every ref for nothing.
 */
export function writePackedRefs(gitDir: string, text: string): void {
  writeFileSync(join(gitDir, 'packed-refs'), text);
}

export function writeLooseRef(gitDir: string, name: string, oid: string): void {
  if (name !== 'HEAD') assertRefName(name);
  const path = join(gitDir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${oid}\n`);
}

export function writeSymref(gitDir: string, name: string, target: string): void {
  if (name !== 'HEAD') assertRefName(name);
  assertRefName(target);
  const path = join(gitDir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `ref: ${target}\n`);
}

/** Appends one reflog entry: `<old> <new> <ident>\t<message>\n` (refs/files-backend.c: log_ref_write_fd). */
export function appendReflog(gitDir: string, name: string, oldOid: string, newOid: string, ident: string, message: string): void {
  const path = join(gitDir, 'logs', name);
  mkdirSync(dirname(path), { recursive: true });
  // refs/files-backend.c log_ref_write_fd(): the tab and message only when there is a message.
  appendFileSync(path, `${oldOid} ${newOid} ${ident}${message ? `\t${message.replace(/\n/g, ' ')}` : ''}\n`);
}

/** `.git/shallow`: the shallow boundary commits, one per line, in object-id order as git writes them. */
export function writeShallow(gitDir: string, oids: string[]): void {
  const unique = [...new Set(oids)].sort();
  if (unique.length) writeFileSync(join(gitDir, 'shallow'), unique.map((o) => `${o}\n`).join(''));
}

// Tree objects: parsing, validation, and the flat entry table the host reads.
//
// A tree object's content (git's tree-walk.c decode_tree_entry(), checked as
// fsck.c fsck_tree() does) is a sequence of
//
//   <mode: octal ASCII digits> SP <name: bytes, no NUL> NUL <id: 20 bytes>
//
// sorted by name, where a subtree's name compares as if it ended in '/'
// (base_name_compare). treeParse() checks all of that and every name against
// the path-safety rules (assembly/path-safety.ts), then leaves one 16-byte
// record per entry in a table the core owns:
//
//   +0  u32 mode      canonical: 0o040000, 0o100644, 0o100755, 0o120000, 0o160000
//   +4  u32 nameOff   byte offset of the name inside the tree data
//   +8  u32 nameLen
//   +12 u32 flags     TREE_FLAG_GITMODULES: a regular `.gitmodules` (any spelling)
//                     whose content the host must check;
//                     TREE_FLAG_ODD_MODE: the stored mode was not canonical
//
// The entry's id is the 20 bytes after the name's NUL: nameOff + nameLen + 1.
// Records point into the tree data, so the host reads names and ids before the
// buffer holding the tree is reused.

import { E_PATH, E_TREE, fail } from "./error";
import { checkComponent, isDotGitmodules, ruleMessage, RULE_DUPLICATE, RULE_OK } from "./path-safety";
import { S_IFDIR, S_IFGITLINK, S_IFLNK, S_IFMT, S_IFREG } from "./mode";

const ENTRY_SIZE: usize = 16;

const TREE_FLAG_GITMODULES: u32 = 1;
const TREE_FLAG_ODD_MODE: u32 = 2;

let table: usize = 0;
let tableCap: usize = 0; // in entries

/** Makes room for `n` entries, keeping the first `keep`. */
function ensureTable(n: usize, keep: usize): void {
  if (n <= tableCap) return;
  let cap = max<usize>(tableCap * 2, 256);
  while (cap < n) cap *= 2;
  // Stub runtime: the old table is not reclaimed, but doubling bounds the waste
  // to the size of the largest table.
  let grown = heap.alloc(cap * ENTRY_SIZE);
  if (keep) memory.copy(grown, table, keep * ENTRY_SIZE);
  table = grown;
  tableCap = cap;
}

/**
 * Compares two entries as git orders trees: bytes of the name, a subtree's name
 * extended with '/'. Returns <0, >0, or 0 when the names are equal (whatever
 * the modes: a blob and a tree of one name are duplicates).
 */
function compareEntries(a: usize, la: usize, ma: u32, b: usize, lb: usize, mb: u32): i32 {
  let n = min(la, lb);
  for (let i: usize = 0; i < n; i++) {
    let x = <i32>load<u8>(a + i), y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
  }
  if (la == lb) return 0;
  let c1: i32 = la > n ? <i32>load<u8>(a + n) : ((ma & S_IFMT) == S_IFDIR ? 0x2f : 0);
  let c2: i32 = lb > n ? <i32>load<u8>(b + n) : ((mb & S_IFMT) == S_IFDIR ? 0x2f : 0);
  return c1 - c2;
}

/**
 * Parses the tree object content at [data, data+len). Returns the number of
 * entries, or E_TREE (malformed; errorOffset = the entry's offset) or E_PATH
 * (a name a checkout must refuse; errorOffset = the offset of that name, which
 * ends at the next NUL).
 */
export function treeParse(data: usize, len: usize): i32 {
  let end = data + len;
  let p = data;
  let count: usize = 0;
  let prevName: usize = 0, prevLen: usize = 0, prevMode: u32 = 0;
  while (p < end) {
    let entryAt = <u64>(p - data);
    // Mode: 1-7 octal digits, then a space.
    let mode: u32 = 0;
    let digits = 0;
    while (p < end && load<u8>(p) != 0x20) {
      let c = <u32>load<u8>(p) - 0x30;
      if (c > 7) return fail(E_TREE, "tree entry mode has a non-octal character", entryAt);
      mode = (mode << 3) | c;
      p++;
      if (++digits > 7) return fail(E_TREE, "tree entry mode is too long", entryAt);
    }
    if (p >= end) return fail(E_TREE, "tree entry truncated in its mode", entryAt);
    if (digits == 0) return fail(E_TREE, "tree entry has an empty mode", entryAt);
    p++; // the space
    // Name, up to its NUL.
    let name = p;
    while (p < end && load<u8>(p) != 0) p++;
    if (p >= end) return fail(E_TREE, "tree entry name is not NUL-terminated", entryAt);
    let nameLen = p - name;
    p++;
    if (end - p < 20) return fail(E_TREE, "tree entry truncated in its object id", entryAt);
    p += 20;

    // Canonical mode as git's canon_mode(), but refusing types git has no
    // meaning for (fsck: badFilemode) instead of reading them as gitlinks.
    let flags: u32 = 0;
    let type = mode & S_IFMT;
    let canon: u32;
    if (type == S_IFREG) canon = mode & 0o111 ? S_IFREG | 0o755 : S_IFREG | 0o644;
    else if (type == S_IFDIR) canon = S_IFDIR;
    else if (type == S_IFLNK) canon = S_IFLNK;
    else if (type == S_IFGITLINK) canon = S_IFGITLINK;
    else return fail(E_TREE, "tree entry has an unknown file mode " + mode.toString(8), entryAt);
    if (canon != mode || digits != (type == S_IFDIR ? 5 : 6)) flags |= TREE_FLAG_ODD_MODE;

    let nameAt = <u64>(name - data);
    let rule = checkComponent(name, nameLen, canon);
    if (rule != RULE_OK) return fail(E_PATH, ruleMessage(rule), nameAt);
    if (type != S_IFLNK && isDotGitmodules(name, nameLen)) flags |= TREE_FLAG_GITMODULES;

    if (count > 0) {
      let cmp = compareEntries(prevName, prevLen, prevMode, name, nameLen, canon);
      if (cmp == 0) return fail(E_PATH, ruleMessage(RULE_DUPLICATE), nameAt);
      if (cmp > 0) return fail(E_TREE, "tree entries are not sorted", entryAt);
      // A blob `x` and a tree `x` need not be neighbours: `x`, `x-y`, `x/` is
      // sorted. Look back over the entries that begin with this subtree's name.
      if (canon == S_IFDIR) {
        let j = count;
        while (j > 0) {
          j--;
          let r = table + j * ENTRY_SIZE;
          let on = data + <usize>load<u32>(r, 4);
          let ol = <usize>load<u32>(r, 8);
          if (ol < nameLen || memory.compare(on, name, nameLen) != 0) break;
          if (ol == nameLen) return fail(E_PATH, ruleMessage(RULE_DUPLICATE), nameAt);
        }
      }
    }

    ensureTable(count + 1, count);
    let r = table + count * ENTRY_SIZE;
    store<u32>(r, canon, 0);
    store<u32>(r, <u32>(name - data), 4);
    store<u32>(r, <u32>nameLen, 8);
    store<u32>(r, flags, 12);
    count++;
    prevName = name; prevLen = nameLen; prevMode = canon;
  }
  ensureTable(1, 0);
  return <i32>count;
}

/** The entry table filled by the last treeParse(): 16 bytes per entry (layout above). */
export function treeEntriesPtr(): usize {
  return table;
}

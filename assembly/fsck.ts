// The object checks of `git index-pack --strict` (git 2.39): what fsck.c
// reports on a tree, commit or tag's content (fsck_tree, fsck_commit,
// fsck_tag, fsck_ident, verify_headers), and what index-pack's own parsing of
// commits and tags refuses first (commit.c parse_commit_buffer, tag.c
// parse_tag_buffer). Each problem is a finding: a message id (FSCK_* below,
// named and worded by the host as git words it) in git's order, so the host
// prints what git prints. The control flow is git's: a commit or tag check
// stops at its first error, while a tree reports every kind of problem it has.
//
// Levels are those index-pack --strict applies (fsck's strict mode: warnings
// are errors; "info" ids are printed as warnings and do not fail; some ids
// are ignored and not reported at all).
//
// Findings, appended to a buffer the host reads (fsckFindingsPtr/Len):
//
//   +0  u32 entry     pack entry number (0xffffffff from fsckObject)
//   +4  u16 code      FSCK_* id
//   +6  u16 len       payload bytes that follow
//   +8  u32 aux       a number for the message (an offset), else 0
//   +12 payload       an object id (the .gitmodules / .gitattributes blobs a
//                     tree names, for the host to check), a tag name, a type;
//                     padded to 4 bytes

import { E_INVALID_ARG, fail } from "./error";
import { hfsDot, isDotGitmodules, ntfsDotGeneric, ntfsDotGit } from "./path-safety";
import { S_IFDIR, S_IFLNK, S_IFMT } from "./mode";

// Tree messages (fsck_tree), and the decode errors git prints before badTree.
export const FSCK_BAD_TREE: u16 = 1;
export const FSCK_TREE_SHORT: u16 = 2;         // "too-short tree object"
export const FSCK_TREE_BAD_MODE: u16 = 3;      // "malformed mode in tree entry"
export const FSCK_TREE_EMPTY_NAME: u16 = 4;    // "empty filename in tree entry"
export const FSCK_NULL_SHA1: u16 = 5;
export const FSCK_FULL_PATHNAME: u16 = 6;
export const FSCK_EMPTY_NAME: u16 = 7;
export const FSCK_HAS_DOT: u16 = 8;
export const FSCK_HAS_DOTDOT: u16 = 9;
export const FSCK_HAS_DOTGIT: u16 = 10;
export const FSCK_ZERO_PADDED_FILEMODE: u16 = 11;
export const FSCK_BAD_FILEMODE: u16 = 12;      // info
export const FSCK_DUPLICATE_ENTRIES: u16 = 13;
export const FSCK_TREE_NOT_SORTED: u16 = 14;
export const FSCK_GITMODULES_SYMLINK: u16 = 15;
export const FSCK_GITATTRIBUTES_SYMLINK: u16 = 16; // info
export const FSCK_GITIGNORE_SYMLINK: u16 = 17;     // info
export const FSCK_MAILMAP_SYMLINK: u16 = 18;       // info
export const FSCK_FOUND_GITMODULES: u16 = 19;      // not a problem: a blob to check (payload: id)
export const FSCK_FOUND_GITATTRIBUTES: u16 = 20;   // likewise
// Commit and tag headers.
export const FSCK_NUL_IN_HEADER: u16 = 21;     // aux: offset of the NUL
export const FSCK_UNTERMINATED_HEADER: u16 = 22;
export const FSCK_MISSING_TREE: u16 = 23;
export const FSCK_BAD_TREE_SHA1: u16 = 24;
export const FSCK_BAD_PARENT_SHA1: u16 = 25;
export const FSCK_MISSING_AUTHOR: u16 = 26;
export const FSCK_MULTIPLE_AUTHORS: u16 = 27;
export const FSCK_MISSING_COMMITTER: u16 = 28;
export const FSCK_NUL_IN_COMMIT: u16 = 29;
export const FSCK_MISSING_NAME_BEFORE_EMAIL: u16 = 30;
export const FSCK_BAD_NAME: u16 = 31;
export const FSCK_MISSING_EMAIL: u16 = 32;
export const FSCK_MISSING_SPACE_BEFORE_EMAIL: u16 = 33;
export const FSCK_BAD_EMAIL: u16 = 34;
export const FSCK_MISSING_SPACE_BEFORE_DATE: u16 = 35;
export const FSCK_ZERO_PADDED_DATE: u16 = 36;
export const FSCK_BAD_DATE_OVERFLOW: u16 = 37;
export const FSCK_BAD_DATE: u16 = 38;
export const FSCK_BAD_TIMEZONE: u16 = 39;
export const FSCK_MISSING_OBJECT: u16 = 40;
export const FSCK_BAD_OBJECT_SHA1: u16 = 41;
export const FSCK_MISSING_TYPE_ENTRY: u16 = 42;
export const FSCK_MISSING_TYPE: u16 = 43;
export const FSCK_BAD_TYPE: u16 = 44;
export const FSCK_MISSING_TAG_ENTRY: u16 = 45;
export const FSCK_MISSING_TAG: u16 = 46;
export const FSCK_BAD_TAG_NAME: u16 = 47;      // info (payload: the name)
export const FSCK_MISSING_TAGGER_ENTRY: u16 = 48; // info
// Connectivity (pack/links.ts): a link to an object of the pack of another
// type (payload: its id and entry number; aux: expected | actual << 8).
export const FSCK_LINK_TYPE: u16 = 50;
// index-pack's parsing, before fsck (each ends index-pack with "invalid <type>").
export const FSCK_PARSE_COMMIT_BOGUS: u16 = 60;      // "bogus commit object %s"
export const FSCK_PARSE_COMMIT_TREE: u16 = 61;       // "bad tree pointer in commit %s"
export const FSCK_PARSE_COMMIT_PARENTS: u16 = 62;    // "bad parents in commit %s"
export const FSCK_PARSE_TAG: u16 = 63;               // parse_tag_buffer() failing without a message
export const FSCK_PARSE_TAG_TYPE: u16 = 64;          // "unknown tag type '%s' in %s" (payload: the type)

/** Whether an id fails the object under index-pack --strict (else it is printed as a warning, or is no problem). */
function isError(code: u16): bool {
  switch (code) {
    case FSCK_BAD_FILEMODE:
    case FSCK_GITATTRIBUTES_SYMLINK:
    case FSCK_GITIGNORE_SYMLINK:
    case FSCK_MAILMAP_SYMLINK:
    case FSCK_FOUND_GITMODULES:
    case FSCK_FOUND_GITATTRIBUTES:
    case FSCK_BAD_TAG_NAME:
    case FSCK_MISSING_TAGGER_ENTRY:
    case FSCK_TREE_SHORT:
    case FSCK_TREE_BAD_MODE:
    case FSCK_TREE_EMPTY_NAME:
      return false;
  }
  return true;
}

const NO_ENTRY: u32 = 0xffffffff;

// Findings live in one buffer set up before any resolving starts: nothing here
// allocates while pass 2's arena holds the rest of memory (resolve.ts). Problems
// are rare and found blobs deduplicated, so it holds far more than a pack
// that passes produces; past its end warnings are dropped, and the last part
// is kept for errors, so an object that fails is never let through.
const FINDINGS_CAP: usize = 256 << 10;
const ERRORS_RESERVE: usize = 16 << 10;
const FOUND_SLOTS: u32 = 1024; // open addressing over 20-byte ids
let findings: usize = 0;
let findingsLen: usize = 0;
let found: usize = 0;
let foundCount: u32 = 0;
let entryNow: u32 = NO_ENTRY;
let errors: u32 = 0;
let lostErrors = false;
// Where a check may put temporary data (verify_ordered's name stack): memory
// above it is free for the duration of one fsckRun(), grown as needed.
let scratch: usize = 0;

/** Sets up the findings buffer; call before resolving (it allocates). */
export function fsckInit(): void {
  if (findings != 0) return;
  findings = heap.alloc(FINDINGS_CAP);
  found = heap.alloc(<usize>FOUND_SLOTS * 20);
  memory.fill(found, 0, <usize>FOUND_SLOTS * 20);
}

/** The findings so far (layout above) and their length in bytes. */
export function fsckFindingsPtr(): usize { return findings; }
export function fsckFindingsLen(): usize { return findingsLen; }
/** Forgets the findings (the host has read them). */
export function fsckReset(): void {
  findingsLen = 0;
  if (found != 0) memory.fill(found, 0, <usize>FOUND_SLOTS * 20);
  foundCount = 0;
}

/** Whether `id` was recorded as a found blob already (and records it). */
function seenFound(id: usize): bool {
  if (foundCount >= FOUND_SLOTS >> 1) return false; // full enough: record every one (the host deduplicates)
  let h = (load<u32>(id) & (FOUND_SLOTS - 1));
  while (true) {
    let slot = found + <usize>h * 20;
    if (load<u64>(slot) == 0 && load<u64>(slot, 8) == 0 && load<u32>(slot, 16) == 0) {
      memory.copy(slot, id, 20);
      foundCount++;
      return false;
    }
    if (memory.compare(slot, id, 20) == 0) return true;
    h = (h + 1) & (FOUND_SLOTS - 1);
  }
  return false;
}

/** Records a finding; returns whether it is an error (git's report() returning non-zero). */
function report(code: u16, aux: u32 = 0, payload: usize = 0, payloadLen: usize = 0): bool {
  let e = isError(code);
  if (e) errors++;
  let plen = min<usize>(payloadLen, 4096);
  let size: usize = 12 + ((plen + 3) & ~(<usize>3));
  let room = e ? FINDINGS_CAP : FINDINGS_CAP - ERRORS_RESERVE;
  if (findingsLen + size > room) {
    if (e) lostErrors = true;
    return e;
  }
  let r = findings + findingsLen;
  store<u32>(r, entryNow);
  store<u16>(r, code, 4);
  store<u16>(r, <u16>plen, 6);
  store<u32>(r, aux, 8);
  if (plen != 0) memory.copy(r + 12, payload, plen);
  findingsLen += size;
  return e;
}

/** Records a finding for `entry` from outside the object checks (pack/links.ts). */
export function fsckReport(entry: u32, code: u16, aux: u32, payload: usize, payloadLen: usize): void {
  entryNow = entry;
  report(code, aux, payload, payloadLen);
}

/** Whether errors were found that the buffer had no room for (the host must fail the pack). */
export function fsckLostErrors(): bool { return lostErrors; }

// ---- bounded reads: past the end reads as NUL, like git's NUL-terminated buffers ----

let base: usize = 0;
let end: usize = 0;

// @ts-ignore: decorator
@inline function at(i: usize): u32 { return i < end ? <u32>load<u8>(i) : 0; }

function startsWith(p: usize, s: string): bool {
  for (let i = 0; i < s.length; i++) if (at(p + i) != <u32>s.charCodeAt(i)) return false;
  return true;
}

// @ts-ignore: decorator
@inline function isHex(c: u32): bool { return (c - 0x30 < 10) || ((c | 0x20) - 0x61 < 6); }
// @ts-ignore: decorator
@inline function isDigit(c: u32): bool { return c - 0x30 < 10; }

/** 40 hex digits at p (get_oid_hex: either case). */
function hexId(p: usize): bool {
  for (let i: usize = 0; i < 40; i++) if (!isHex(at(p + i))) return false;
  return true;
}

/** Position of the first of `a`, `b`, `c` (or NUL) from p: strcspn. */
function span(p: usize, a: u32, b: u32, c: u32): usize {
  while (true) {
    let x = at(p);
    if (x == 0 || x == a || x == b || x == c) return p;
    p++;
  }
  return p;
}

/** Position of the next '\n' from p, or of the end (strchr/strchrnul on a NUL-terminated buffer). */
function lineEnd(p: usize): usize {
  while (p < end && load<u8>(p) != 0x0a && load<u8>(p) != 0) p++;
  return p;
}

// ---- commits and tags ----

function verifyHeaders(): bool {
  let n = end - base;
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(base + i);
    if (c == 0) return report(FSCK_NUL_IN_HEADER, <u32>i);
    if (c == 0x0a && i + 1 < n && load<u8>(base + i + 1) == 0x0a) return false;
  }
  if (n != 0 && load<u8>(end - 1) == 0x0a) return false;
  return report(FSCK_UNTERMINATED_HEADER);
}

let identNext: usize = 0;

/** fsck_ident(): an author, committer or tagger line from p; identNext is the next line. */
function checkIdent(p: usize): bool {
  let q = lineEnd(p);
  identNext = at(q) == 0x0a ? q + 1 : q;
  if (at(p) == 0x3c) return report(FSCK_MISSING_NAME_BEFORE_EMAIL);
  p = span(p, 0x3c, 0x3e, 0x0a);
  if (at(p) == 0x3e) return report(FSCK_BAD_NAME);
  if (at(p) != 0x3c) return report(FSCK_MISSING_EMAIL);
  if (p == base || at(p - 1) != 0x20) return report(FSCK_MISSING_SPACE_BEFORE_EMAIL);
  p++;
  p = span(p, 0x3c, 0x3e, 0x0a);
  if (at(p) != 0x3e) return report(FSCK_BAD_EMAIL);
  p++;
  if (at(p) != 0x20) return report(FSCK_MISSING_SPACE_BEFORE_DATE);
  p++;
  if (at(p) == 0x30 && at(p + 1) != 0x20) return report(FSCK_ZERO_PADDED_DATE);
  // strtoumax(): leading white space, a sign, digits; saturating on overflow.
  let s = p;
  while (true) {
    let c = at(s);
    if (c == 0x20 || (c >= 0x09 && c <= 0x0d)) s++;
    else break;
  }
  let negative = false;
  if (at(s) == 0x2b || at(s) == 0x2d) {
    negative = at(s) == 0x2d;
    s++;
  }
  let value: u64 = 0;
  let saturated = false;
  let digits = s;
  while (isDigit(at(s))) {
    let d = <u64>(at(s) - 0x30);
    if (value > (U64.MAX_VALUE - d) / 10) saturated = true;
    else value = value * 10 + d;
    s++;
  }
  let dateEnd = s == digits ? p : s;
  if (saturated) value = U64.MAX_VALUE;
  else if (negative) value = 0 - value;
  // date_overflows(): not representable as a positive time_t.
  if (value >= (<u64>1 << 63)) return report(FSCK_BAD_DATE_OVERFLOW);
  if (dateEnd == p || at(dateEnd) != 0x20) return report(FSCK_BAD_DATE);
  p = dateEnd + 1;
  let sign = at(p);
  if ((sign != 0x2b && sign != 0x2d) || !isDigit(at(p + 1)) || !isDigit(at(p + 2)) || !isDigit(at(p + 3)) || !isDigit(at(p + 4)) || at(p + 5) != 0x0a) {
    return report(FSCK_BAD_TIMEZONE);
  }
  return false;
}

/**
 * A header's value at p must be an object id ending its line; otherwise `bad`
 * is reported. True when that report ends the check (report()'s answer).
 */
function badIdLine(p: usize, bad: u16): bool {
  return (!hexId(p) || at(p + 40) != 0x0a) && report(bad);
}

/** commit.c parse_commit_buffer(): what index-pack refuses before fsck looks. */
function parseCommit(): bool {
  let size = end - base;
  if (size <= 46 || !startsWith(base, "tree ") || at(base + 45) != 0x0a) return report(FSCK_PARSE_COMMIT_BOGUS);
  if (!hexId(base + 5)) return report(FSCK_PARSE_COMMIT_TREE);
  let p = base + 46;
  while (p + 47 < end && startsWith(p, "parent ")) {
    if (end <= p + 48 || !hexId(p + 7) || at(p + 47) != 0x0a) return report(FSCK_PARSE_COMMIT_PARENTS);
    p += 48;
  }
  return false;
}

function fsckCommit(): void {
  if (parseCommit()) return;
  if (verifyHeaders()) return;
  let p = base;
  if (!startsWith(p, "tree ")) { report(FSCK_MISSING_TREE); return; }
  p += 5;
  if (badIdLine(p, FSCK_BAD_TREE_SHA1)) return;
  p += 41;
  while (startsWith(p, "parent ")) {
    p += 7;
    if (badIdLine(p, FSCK_BAD_PARENT_SHA1)) return;
    p += 41;
  }
  let authors = 0;
  while (startsWith(p, "author ")) {
    authors++;
    if (checkIdent(p + 7)) return;
    p = identNext;
  }
  if (authors < 1) { if (report(FSCK_MISSING_AUTHOR)) return; }
  else if (authors > 1) { if (report(FSCK_MULTIPLE_AUTHORS)) return; }
  if (!startsWith(p, "committer ")) { report(FSCK_MISSING_COMMITTER); return; }
  if (checkIdent(p + 10)) return;
  for (let q = base; q < end; q++) {
    if (load<u8>(q) == 0) { report(FSCK_NUL_IN_COMMIT); return; }
  }
}

/** Type name at [p, q): 1-4, or 0. */
function typeNamed(p: usize, q: usize): u32 {
  let n = q - p;
  if (n == 6 && startsWith(p, "commit")) return 1;
  if (n == 4 && startsWith(p, "tree")) return 2;
  if (n == 4 && startsWith(p, "blob")) return 3;
  if (n == 3 && startsWith(p, "tag")) return 4;
  return 0;
}

/**
 * refs.c check_refname_format() for "refs/tags/" + [p, q): every component
 * non-empty, not starting with '.', not ending with ".lock"; no "..", "@{",
 * control characters, space, ~ ^ : ? * [ \; not ending with '.'.
 */
function refComponentsOk(p: usize, q: usize): bool {
  let start = p;
  let last: u32 = 0x2f; // after "refs/tags/"
  for (let i = p; ; i++) {
    let c: u32 = i < q ? <u32>load<u8>(i) : 0;
    if (c == 0 || c == 0x2f) {
      let n = i - start;
      if (n == 0) return false;
      if (load<u8>(start) == 0x2e) return false;
      if (n >= 5 && load<u8>(i - 5) == 0x2e && load<u8>(i - 4) == 0x6c && load<u8>(i - 3) == 0x6f && load<u8>(i - 2) == 0x63 && load<u8>(i - 1) == 0x6b) return false;
      if (c == 0) return load<u8>(i - 1) != 0x2e;
      start = i + 1;
      last = c;
      continue;
    }
    if (c == 0x2e && last == 0x2e) return false;
    if (c == 0x7b && last == 0x40) return false;
    if (c < 0x20 || c == 0x7f || c == 0x20 || c == 0x7e || c == 0x5e || c == 0x3a || c == 0x3f || c == 0x2a || c == 0x5b || c == 0x5c) return false;
    last = c;
  }
  return true;
}

/** tag.c parse_tag_buffer(). */
function parseTag(): bool {
  if (end - base < 64) return report(FSCK_PARSE_TAG);
  if (!startsWith(base, "object ") || !hexId(base + 7) || at(base + 47) != 0x0a) return report(FSCK_PARSE_TAG);
  let p = base + 48;
  if (!startsWith(p, "type ")) return report(FSCK_PARSE_TAG);
  p += 5;
  let nl = p;
  while (nl < end && load<u8>(nl) != 0x0a) nl++;
  if (nl >= end || nl - p >= 20) return report(FSCK_PARSE_TAG);
  // git copies the type and compares it as a C string: up to a NUL.
  let q = p;
  while (q < nl && load<u8>(q) != 0) q++;
  if (typeNamed(p, q) == 0) return report(FSCK_PARSE_TAG_TYPE, 0, p, q - p);
  p = nl + 1;
  if (!(p + 4 < end && startsWith(p, "tag "))) return report(FSCK_PARSE_TAG);
  p += 4;
  nl = p;
  while (nl < end && load<u8>(nl) != 0x0a) nl++;
  if (nl >= end) return report(FSCK_PARSE_TAG);
  return false;
}

function fsckTag(): void {
  if (parseTag()) return;
  if (verifyHeaders()) return;
  let p = base;
  if (!startsWith(p, "object ")) { report(FSCK_MISSING_OBJECT); return; }
  p += 7;
  if (badIdLine(p, FSCK_BAD_OBJECT_SHA1)) return;
  p += 41;
  if (!startsWith(p, "type ")) { report(FSCK_MISSING_TYPE_ENTRY); return; }
  p += 5;
  let eol = lineEnd(p);
  if (at(eol) != 0x0a) { report(FSCK_MISSING_TYPE); return; }
  if (typeNamed(p, eol) == 0) {
    if (report(FSCK_BAD_TYPE)) return;
  }
  p = eol + 1;
  if (!startsWith(p, "tag ")) { report(FSCK_MISSING_TAG_ENTRY); return; }
  p += 4;
  eol = lineEnd(p);
  if (at(eol) != 0x0a) { report(FSCK_MISSING_TAG); return; }
  // check_refname_format("refs/tags/<name>"), the name read up to a NUL as git formats it.
  let nameEnd = p;
  while (nameEnd < eol && load<u8>(nameEnd) != 0) nameEnd++;
  if (!refComponentsOk(p, nameEnd)) {
    if (report(FSCK_BAD_TAG_NAME, 0, p, nameEnd - p)) return;
  }
  p = eol + 1;
  if (!startsWith(p, "tagger ")) {
    if (report(FSCK_MISSING_TAGGER_ENTRY)) return;
  } else if (checkIdent(p + 7)) {
    return;
  }
  // Anything but the blank line before the message would be extraHeaderEntry,
  // which index-pack ignores.
}

// ---- trees ----


let nameStack: usize = 0; // (ptr, len) u32 pairs in scratch memory: verify_ordered()'s df_dup_candidates
let nameDepth: usize = 0;

function pushName(p: usize, n: usize): void {
  let at = nameStack + (nameDepth << 3);
  let need = <u64>at + 8;
  let have = <u64>memory.size() << 16;
  if (need > have && memory.grow(<i32>((need - have + 0xffff) >> 16)) < 0) {
    lostErrors = true; // cannot check this tree for duplicates: fail rather than pass it
    return;
  }
  store<u32>(at, <u32>p);
  store<u32>(at, <u32>n, 4);
  nameDepth++;
}

// @ts-ignore: decorator
@inline function lessThanSlash(c: u32): bool { return c != 0 && c < 0x2f; }

const ORDERED = 0;
const UNORDERED = 1;
const HAS_DUPS = 2;

/** fsck.c verify_ordered(): the previous entry (1) against this one (2). */
function verifyOrdered(mode1: u32, name1: usize, len1: usize, mode2: u32, name2: usize, len2: usize): i32 {
  let len = min(len1, len2);
  let cmp = memory.compare(name1, name2, len);
  if (cmp < 0) return ORDERED;
  if (cmp > 0) return UNORDERED;
  let c1 = len < len1 ? <u32>load<u8>(name1 + len) : 0;
  let c2 = len < len2 ? <u32>load<u8>(name2 + len) : 0;
  if (c1 == 0 && c2 == 0) return HAS_DUPS;
  if (c1 == 0 && (mode1 & S_IFMT) == S_IFDIR) c1 = 0x2f;
  if (c2 == 0 && (mode2 & S_IFMT) == S_IFDIR) c2 = 0x2f;
  // Non-adjacent duplicates through the implied '/': remember names a later
  // directory could repeat ("foo" before "foo.bar" before "foo/").
  if (c1 == 0 && lessThanSlash(c2)) {
    pushName(name1, len1);
  } else if (c2 == 0x2f && lessThanSlash(c1)) {
    while (nameDepth != 0) {
      let top = nameStack + ((nameDepth - 1) << 3);
      let f = <usize>load<u32>(top);
      let fl = <usize>load<u32>(top, 4);
      if (fl > len2 || memory.compare(name2, f, fl) != 0) break;
      if (fl == len2) return HAS_DUPS;
      if (lessThanSlash(<u32>load<u8>(name2 + fl))) {
        nameDepth--;
        continue;
      }
      break;
    }
  }
  return c1 < c2 ? ORDERED : UNORDERED;
}

/**
 * tree-walk.c decode_tree_entry() on the rest of the tree from p: records the
 * error git prints and returns false when it does not decode.
 */
let entryName: usize = 0;
let entryNameLen: usize = 0;
let entryMode: u32 = 0;
let entryId: usize = 0;

function decodeEntry(p: usize): bool {
  let size = end - p;
  if (size < 23 || load<u8>(end - 21) != 0) { report(FSCK_TREE_SHORT); return false; }
  if (load<u8>(p) == 0x20) { report(FSCK_TREE_BAD_MODE); return false; }
  let mode: u32 = 0;
  let q = p;
  while (true) {
    let c = <u32>load<u8>(q++);
    if (c == 0x20) break;
    if (c < 0x30 || c > 0x37) { report(FSCK_TREE_BAD_MODE); return false; }
    mode = (mode << 3) + (c - 0x30);
  }
  if (load<u8>(q) == 0) { report(FSCK_TREE_EMPTY_NAME); return false; }
  let n = q;
  while (load<u8>(n) != 0) n++;
  entryName = q;
  entryNameLen = n - q;
  entryMode = mode;
  entryId = n + 1;
  return true;
}

function isNullId(p: usize): bool {
  return load<u64>(p) == 0 && load<u64>(p, 8) == 0 && load<u32>(p, 16) == 0;
}

function noteGitmodules(mode: u32, id: usize): void {
  if ((mode & S_IFMT) != S_IFLNK) noteFound(FSCK_FOUND_GITMODULES, id);
  else report(FSCK_GITMODULES_SYMLINK);
}

/** A blob to check once the pack is in: recorded once per id (ids of both kinds share the set; a blob seldom is both). */
function noteFound(code: u16, id: usize): void {
  if (!seenFound(id)) report(code, 0, id, 20);
}

function fsckTree(): void {
  let p = base;
  if (p < end && !decodeEntry(p)) { report(FSCK_BAD_TREE); return; }
  let nullSha1 = false, fullPath = false, emptyName = false, dot = false, dotdot = false, dotgit = false;
  let zeroPad = false, badModes = false, dups = false, unsorted = false;
  let oName: usize = 0, oLen: usize = 0, oMode: u32 = 0;
  nameStack = (scratch + 15) & ~(<usize>15);
  nameDepth = 0;
  while (p < end) {
    let name = entryName, len = entryNameLen, mode = entryMode, id = entryId;
    if (!nullSha1) nullSha1 = isNullId(id);
    for (let i: usize = 0; i < len; i++) if (load<u8>(name + i) == 0x2f) { fullPath = true; break; }
    if (!emptyName) emptyName = len == 0;
    if (!dot) dot = len == 1 && load<u8>(name) == 0x2e;
    if (!dotdot) dotdot = len == 2 && load<u8>(name) == 0x2e && load<u8>(name + 1) == 0x2e;
    if (!dotgit) dotgit = hfsDot(name, len, "git") || ntfsDotGit(name, name + len) != 0;
    if (!zeroPad) zeroPad = load<u8>(p) == 0x30;
    if (isDotGitmodules(name, len)) noteGitmodules(mode, id);
    if (hfsDot(name, len, "gitattributes") || ntfsDotGeneric(name, len, "gitattributes", "gi7d29")) {
      if ((mode & S_IFMT) != S_IFLNK) noteFound(FSCK_FOUND_GITATTRIBUTES, id);
      else report(FSCK_GITATTRIBUTES_SYMLINK);
    }
    if ((mode & S_IFMT) == S_IFLNK) {
      if (hfsDot(name, len, "gitignore") || ntfsDotGeneric(name, len, "gitignore", "gi250a")) report(FSCK_GITIGNORE_SYMLINK);
      if (hfsDot(name, len, "mailmap") || ntfsDotGeneric(name, len, "mailmap", "maba30")) report(FSCK_MAILMAP_SYMLINK);
    }
    // After each '\' (a directory separator on Windows).
    for (let i: usize = 0; i < len; i++) {
      if (load<u8>(name + i) != 0x5c) continue;
      let rest = name + i + 1;
      let restLen = len - i - 1;
      if (!dotgit) dotgit = ntfsDotGit(rest, rest + restLen) != 0;
      if (ntfsDotGeneric(rest, restLen, "gitmodules", "gi7eba")) noteGitmodules(mode, id);
    }
    p = id + 20;
    if (p < end && !decodeEntry(p)) {
      report(FSCK_BAD_TREE);
      break;
    }
    switch (mode) {
      case 0o100755:
      case 0o100644:
      case 0o120000:
      case 0o040000:
      case 0o160000:
        break;
      default:
        badModes = true; // 0o100664 too: strict
    }
    if (oName != 0) {
      let v = verifyOrdered(oMode, oName, oLen, mode, name, len);
      if (v == UNORDERED) unsorted = true;
      else if (v == HAS_DUPS) dups = true;
    }
    oName = name; oLen = len; oMode = mode;
  }
  if (nullSha1) report(FSCK_NULL_SHA1);
  if (fullPath) report(FSCK_FULL_PATHNAME);
  if (emptyName) report(FSCK_EMPTY_NAME);
  if (dot) report(FSCK_HAS_DOT);
  if (dotdot) report(FSCK_HAS_DOTDOT);
  if (dotgit) report(FSCK_HAS_DOTGIT);
  if (zeroPad) report(FSCK_ZERO_PADDED_FILEMODE);
  if (badModes) report(FSCK_BAD_FILEMODE);
  if (dups) report(FSCK_DUPLICATE_ENTRIES);
  if (unsorted) report(FSCK_TREE_NOT_SORTED);
}

/**
 * Checks one object (entry `entry` of the pack, or NO_ENTRY) of type `kind`
 * (1 commit, 2 tree, 3 blob, 4 tag) and content [p, p+len), appending what it
 * finds; memory from `scratchAt` up is free to use meanwhile. Returns true
 * when an error was found (the object fails --strict).
 */
export function fsckRun(entry: u32, kind: u32, p: usize, len: usize, scratchAt: usize): bool {
  entryNow = entry;
  scratch = scratchAt;
  base = p;
  end = p + len;
  let before = errors;
  if (kind == 1) fsckCommit();
  else if (kind == 2) fsckTree();
  else if (kind == 4) fsckTag();
  return errors != before;
}

/**
 * Checks one object's content as `git index-pack --strict` checks it: returns
 * the number of bytes of findings at fsckFindingsPtr() (all findings so far:
 * fsckReset() forgets them), or an error.
 */
export function fsckObject(kind: i32, ptr: usize, len: usize): i32 {
  if (kind < 1 || kind > 4) return fail(E_INVALID_ARG, "fsckObject: object type " + kind.toString() + " is not 1-4");
  fsckInit();
  let probe = heap.alloc(16);
  heap.free(probe);
  fsckRun(NO_ENTRY, <u32>kind, ptr, len, probe + 64);
  return <i32>findingsLen;
}

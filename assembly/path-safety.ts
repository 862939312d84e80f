// Which path components a checkout must refuse.
//
// Mirrors git's verify_path() (read-cache.c) with core.protectNTFS and
// core.protectHFS both on, and the name checks of fsck_tree() (fsck.c): a tree
// entry whose name could address the repository itself (`.git` under any
// spelling a filesystem folds to `.git`), step out of its directory (`.`,
// `..`, `/`), or turn `.gitmodules` into a symbolic link is refused before
// anything is written. Rules are numbered; ruleMessage() gives the text the
// host puts after the path.
//
// Internal module: nothing here is exported from assembly/index.ts; the
// fsck checks (assembly/fsck.ts) share its name tests.

import { S_IFLNK, S_IFMT } from "./mode";

export const RULE_OK: i32 = 0;
export const RULE_EMPTY: i32 = 1;
export const RULE_DOT: i32 = 2;
export const RULE_DOTDOT: i32 = 3;
export const RULE_DOTGIT: i32 = 4;
export const RULE_NTFS_DOTGIT: i32 = 5;
export const RULE_NTFS_SHORT: i32 = 6;
export const RULE_HFS_DOTGIT: i32 = 7;
export const RULE_SLASH: i32 = 8;
export const RULE_NUL: i32 = 9;
export const RULE_BACKSLASH_DOTGIT: i32 = 10;
export const RULE_GITMODULES_SYMLINK: i32 = 11;
export const RULE_DUPLICATE: i32 = 12;


export function ruleMessage(rule: i32): string {
  switch (rule) {
    case RULE_EMPTY: return "empty path component";
    case RULE_DOT: return "path component '.' is not allowed";
    case RULE_DOTDOT: return "path component '..' is not allowed";
    case RULE_DOTGIT: return "path component '.git' is reserved";
    case RULE_NTFS_DOTGIT: return "path component is '.git' on NTFS (trailing dots or spaces, or a stream name)";
    case RULE_NTFS_SHORT: return "path component 'git~1' is the NTFS short name of '.git'";
    case RULE_HFS_DOTGIT: return "path component is '.git' on HFS+ (ignorable Unicode characters)";
    case RULE_SLASH: return "path component contains '/'";
    case RULE_NUL: return "path contains a NUL byte";
    case RULE_BACKSLASH_DOTGIT: return "path component has '.git' after a '\\' (a directory separator on Windows)";
    case RULE_GITMODULES_SYMLINK: return "'.gitmodules' may not be a symbolic link";
    case RULE_DUPLICATE: return "duplicate entry (a second entry of the same name would be written through the first)";
  }
  return "unsafe path";
}

// @ts-ignore: decorator
@inline
function lower(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}

/**
 * True when bytes [p, p+n) begin with the lowercase ASCII `needle` (its first
 * `count` characters, all of it by default), ignoring ASCII case. Allocates
 * nothing: fsck calls it while pass 2's arena holds the rest of memory.
 */
function matchesCI(p: usize, n: usize, needle: string, count: i32 = -1): bool {
  let len = count < 0 ? needle.length : count;
  if (n < <usize>len) return false;
  for (let i = 0; i < len; i++) {
    if (lower(<u32>load<u8>(p + i)) != <u32>needle.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * From `i` to `end`, only spaces and dots, then the end or a ':' (an NTFS
 * alternate data stream name follows). Windows strips trailing dots and spaces
 * from file names, so `.git. .` is `.git` there. `stopAtSep` also ends at '/'
 * or '\', as is_ntfs_dotgit() does for whole paths.
 */
function onlyDotsAndSpaces(p: usize, i: usize, end: usize, stopAtSep: bool): bool {
  for (; i < end; i++) {
    let c = load<u8>(p + i);
    if (c == 0x3a) return true; // ':'
    if (stopAtSep && (c == 0x2f || c == 0x5c)) return true;
    if (c != 0x2e && c != 0x20) return false;
  }
  return true;
}

/**
 * git's is_ntfs_dotgit(): `.git` or `git~1` (any case) followed by dots,
 * spaces, a stream name or a separator. Returns RULE_OK, RULE_DOTGIT,
 * RULE_NTFS_DOTGIT or RULE_NTFS_SHORT. `end` bounds the name.
 */
export function ntfsDotGit(p: usize, end: usize): i32 {
  let n = end - p;
  if (n >= 4 && load<u8>(p) == 0x2e && matchesCI(p + 1, n - 1, "git")) {
    if (n == 4) return RULE_DOTGIT;
    let c = load<u8>(p + 4);
    if (c == 0x2f || c == 0x5c) return RULE_DOTGIT;
    return onlyDotsAndSpaces(p, 4, n, true) ? RULE_NTFS_DOTGIT : RULE_OK;
  }
  if (n >= 5 && matchesCI(p, n, "git") && load<u8>(p + 3) == 0x7e && load<u8>(p + 4) == 0x31) {
    return onlyDotsAndSpaces(p, 5, n, true) ? RULE_NTFS_SHORT : RULE_OK;
  }
  return RULE_OK;
}

/**
 * git's is_ntfs_dot_generic(name, needle, shortPrefix): `.` + needle (any
 * case) with trailing dots/spaces/stream, its regular 8.3 short names (the
 * needle's first 6 characters, `~1`..`~4`), and the hashed fall-back short
 * names (`shortPrefix~N`: Windows derives the prefix from a hash of the long
 * name). For `.gitmodules` the prefix is `gi7eba`.
 */
export function ntfsDotGeneric(p: usize, n: usize, needle: string, shortPrefix: string): bool {
  let len = <usize>needle.length;
  if (n >= len + 1 && load<u8>(p) == 0x2e && matchesCI(p + 1, n - 1, needle)) {
    return onlyDotsAndSpaces(p, len + 1, n, false);
  }
  if (n >= 8 && matchesCI(p, n, needle, 6) && load<u8>(p + 6) == 0x7e) {
    let d = load<u8>(p + 7);
    if (d >= 0x31 && d <= 0x34) return onlyDotsAndSpaces(p, 8, n, false);
  }
  // Fall-back short name: up to 6 characters of the prefix, '~', a digit 1-9,
  // more digits, 8 characters in all.
  let sawTilde = false;
  let i: usize = 0;
  for (; i < 8; i++) {
    if (i >= n) return false;
    let c = <u32>load<u8>(p + i);
    if (sawTilde) {
      if (c < 0x30 || c > 0x39) return false;
    } else if (c == 0x7e) {
      i++;
      if (i >= n) return false;
      let d = <u32>load<u8>(p + i);
      if (d < 0x31 || d > 0x39) return false;
      sawTilde = true;
    } else if (i >= 6) {
      return false;
    } else if (c & 0x80) {
      return false;
    } else if (lower(c) != <u32>shortPrefix.charCodeAt(<i32>i)) {
      return false;
    }
  }
  return onlyDotsAndSpaces(p, 8, n, false);
}

function ntfsDotGitmodules(p: usize, n: usize): bool {
  return ntfsDotGeneric(p, n, "gitmodules", "gi7eba");
}

// UTF-8 decoding for the HFS+ check: one code point at `hfsPos`, advancing it.
// Returns -1 for malformed UTF-8 (which cannot spell `.git`), 0 at the end.
let hfsPos: usize = 0;

function nextUtf8(end: usize): i32 {
  if (hfsPos >= end) return 0;
  let p = hfsPos;
  let left = end - p;
  let b0 = <u32>load<u8>(p);
  if (b0 < 0x80) { hfsPos = p + 1; return <i32>b0; }
  if ((b0 & 0xe0) == 0xc0) {
    if (left < 2 || b0 < 0xc2) return -1; // c0/c1: overlong
    let b1 = <u32>load<u8>(p + 1);
    if ((b1 & 0xc0) != 0x80) return -1;
    hfsPos = p + 2;
    return <i32>(((b0 & 0x1f) << 6) | (b1 & 0x3f));
  }
  if ((b0 & 0xf0) == 0xe0) {
    if (left < 3) return -1;
    let b1 = <u32>load<u8>(p + 1), b2 = <u32>load<u8>(p + 2);
    if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80) return -1;
    let cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp >= 0xfffe) return -1;
    hfsPos = p + 3;
    return <i32>cp;
  }
  if ((b0 & 0xf8) == 0xf0) {
    if (left < 4) return -1;
    let b1 = <u32>load<u8>(p + 1), b2 = <u32>load<u8>(p + 2), b3 = <u32>load<u8>(p + 3);
    if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80 || (b3 & 0xc0) != 0x80) return -1;
    let cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
    if (cp < 0x10000 || cp > 0x10ffff) return -1;
    hfsPos = p + 4;
    return <i32>cp;
  }
  return -1;
}

/**
 * The next code point HFS+ does not ignore. HFS+ drops these zero-width and
 * directional formatting characters when comparing names (Apple TN1150), so
 * `.g\u200cit` opens `.git` there; git's next_hfs_char() lists the same set.
 */
function nextHfsChar(end: usize): i32 {
  while (true) {
    let c = nextUtf8(end);
    if ((c >= 0x200c && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x206a && c <= 0x206f) || c == 0xfeff) continue;
    return c;
  }
  return 0;
}

/** git's is_hfs_dot_generic(): `.` + needle, ASCII case folded, ignorables anywhere. */
export function hfsDot(p: usize, n: usize, needle: string): bool {
  hfsPos = p;
  let end = p + n;
  if (nextHfsChar(end) != 0x2e) return false;
  for (let i = 0; i < needle.length; i++) {
    let c = nextHfsChar(end);
    if (c <= 0 || c > 127) return false;
    if (lower(<u32>c) != <u32>needle.charCodeAt(i)) return false;
  }
  let c = nextHfsChar(end);
  return c == 0 || c == 0x2f;
}

/** True for every spelling git treats as `.gitmodules` (fsck: is_hfs_dotgitmodules || is_ntfs_dotgitmodules). */
export function isDotGitmodules(p: usize, n: usize): bool {
  return hfsDot(p, n, "gitmodules") || ntfsDotGitmodules(p, n);
}

/**
 * Checks one path component (a tree entry's name) of an entry with `mode`.
 * Returns RULE_OK or the rule it breaks.
 */
export function checkComponent(p: usize, n: usize, mode: u32): i32 {
  if (n == 0) return RULE_EMPTY;
  let c0 = load<u8>(p);
  if (c0 == 0x2e) {
    if (n == 1) return RULE_DOT;
    if (n == 2 && load<u8>(p + 1) == 0x2e) return RULE_DOTDOT;
  }
  let hasBackslash = false;
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(p + i);
    if (c == 0x2f) return RULE_SLASH;
    if (c == 0) return RULE_NUL;
    if (c == 0x5c) hasBackslash = true;
  }
  let r = ntfsDotGit(p, p + n);
  if (r != RULE_OK) return r;
  // Ignorable code points are all 3-byte sequences led by 0xe2 or 0xef.
  if ((c0 == 0x2e || c0 == 0xe2 || c0 == 0xef) && hfsDot(p, n, "git")) return RULE_HFS_DOTGIT;
  if (hasBackslash) {
    // verify_path() with core.protectNTFS: every '\' starts a component on Windows.
    for (let i: usize = 0; i < n; i++) {
      if (load<u8>(p + i) == 0x5c && ntfsDotGit(p + i + 1, p + n) != RULE_OK) return RULE_BACKSLASH_DOTGIT;
    }
  }
  if ((mode & S_IFMT) == S_IFLNK && isDotGitmodules(p, n)) return RULE_GITMODULES_SYMLINK;
  return RULE_OK;
}

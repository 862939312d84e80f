// What `git index-pack --strict` says about the objects it checks, from the
// core's findings (assembly/fsck.ts): each finding worded as git words it
// (fsck.c report(): "object <id>: <msg-id>: <text>", an error or a warning by
// index-pack's levels), and the checks git makes on the blobs that trees name
// `.gitmodules` and `.gitattributes` (fsck_blob(), fsck_finish()), which need
// the blob's content rather than the tree's.
import { gitmodulesReports } from '../checkout/gitmodules.ts';
import type { LocalObject } from './fix-thin.ts';

/** A problem the core found in one object (assembly/fsck.ts has the codes). */
export interface Finding {
  entry: number;
  code: number;
  aux: number;
  payload: Uint8Array;
}

const FOUND_GITMODULES = 19;
const FOUND_GITATTRIBUTES = 20;
const BAD_TAG_NAME = 47;

type Level = 'error' | 'warning';
/** The messages of fsck.c, by the core's codes, at index-pack --strict's levels (50, a link of the wrong type, is judgeLinks'). */
const MESSAGES: Record<number, [id: string, text: string, level: Level]> = {
  1: ['badTree', 'cannot be parsed as a tree', 'error'],
  5: ['nullSha1', 'contains entries pointing to null sha1', 'error'],
  6: ['fullPathname', 'contains full pathnames', 'error'],
  7: ['emptyName', 'contains empty pathname', 'error'],
  8: ['hasDot', "contains '.'", 'error'],
  9: ['hasDotdot', "contains '..'", 'error'],
  10: ['hasDotgit', "contains '.git'", 'error'],
  11: ['zeroPaddedFilemode', 'contains zero-padded file modes', 'error'],
  12: ['badFilemode', 'contains bad file modes', 'warning'],
  13: ['duplicateEntries', 'contains duplicate file entries', 'error'],
  14: ['treeNotSorted', 'not properly sorted', 'error'],
  15: ['gitmodulesSymlink', '.gitmodules is a symbolic link', 'error'],
  16: ['gitattributesSymlink', '.gitattributes is a symlink', 'warning'],
  17: ['gitignoreSymlink', '.gitignore is a symlink', 'warning'],
  18: ['mailmapSymlink', '.mailmap is a symlink', 'warning'],
  21: ['nulInHeader', 'unterminated header: NUL at offset %d', 'error'],
  22: ['unterminatedHeader', 'unterminated header', 'error'],
  23: ['missingTree', "invalid format - expected 'tree' line", 'error'],
  24: ['badTreeSha1', "invalid 'tree' line format - bad sha1", 'error'],
  25: ['badParentSha1', "invalid 'parent' line format - bad sha1", 'error'],
  26: ['missingAuthor', "invalid format - expected 'author' line", 'error'],
  27: ['multipleAuthors', "invalid format - multiple 'author' lines", 'error'],
  28: ['missingCommitter', "invalid format - expected 'committer' line", 'error'],
  29: ['nulInCommit', 'NUL byte in the commit object body', 'error'],
  30: ['missingNameBeforeEmail', 'invalid author/committer line - missing space before email', 'error'],
  31: ['badName', 'invalid author/committer line - bad name', 'error'],
  32: ['missingEmail', 'invalid author/committer line - missing email', 'error'],
  33: ['missingSpaceBeforeEmail', 'invalid author/committer line - missing space before email', 'error'],
  34: ['badEmail', 'invalid author/committer line - bad email', 'error'],
  35: ['missingSpaceBeforeDate', 'invalid author/committer line - missing space before date', 'error'],
  36: ['zeroPaddedDate', 'invalid author/committer line - zero-padded date', 'error'],
  37: ['badDateOverflow', 'invalid author/committer line - date causes integer overflow', 'error'],
  38: ['badDate', 'invalid author/committer line - bad date', 'error'],
  39: ['badTimezone', 'invalid author/committer line - bad time zone', 'error'],
  40: ['missingObject', "invalid format - expected 'object' line", 'error'],
  41: ['badObjectSha1', "invalid 'object' line format - bad sha1", 'error'],
  42: ['missingTypeEntry', "invalid format - expected 'type' line", 'error'],
  43: ['missingType', "invalid format - unexpected end after 'type' line", 'error'],
  44: ['badType', "invalid 'type' value", 'error'],
  45: ['missingTagEntry', "invalid format - expected 'tag' line", 'error'],
  46: ['missingTag', "invalid format - unexpected end after 'type' line", 'error'],
  48: ['missingTaggerEntry', "invalid format - expected 'tagger' line", 'warning'],
};
/** The errors tree-walk.c prints before badTree. */
const DECODE: Record<number, string> = { 2: 'too-short tree object', 3: 'malformed mode in tree entry', 4: 'empty filename in tree entry' };

/** Splits the core's findings (12-byte records and padded payloads). */
export function decodeFindings(bytes: Uint8Array): Finding[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Finding[] = [];
  for (let at = 0; at + 12 <= bytes.length; ) {
    const len = v.getUint16(at + 6, true);
    out.push({ entry: v.getUint32(at, true), code: v.getUint16(at + 4, true), aux: v.getUint32(at + 8, true), payload: bytes.slice(at + 12, at + 12 + len) });
    at += 12 + ((len + 3) & ~3);
  }
  return out;
}

export const TYPE_NAMES = ['', 'commit', 'tree', 'blob', 'tag'];

/** Thrown when --strict refuses the pack: the message is git's fatal line. */
export class StrictError extends Error {
  constructor(message: string, readonly id?: string) {
    super(message);
    this.name = 'StrictError';
  }
}

export interface JudgeResult {
  /** Lines as git prints them to stderr ("error: ...", "warning: ..."), in order. */
  lines: string[];
  /** git's fatal message when the pack fails, else null. */
  fatal: string | null;
  /** The object that failed. */
  failed?: string;
  /** Blobs named `.gitmodules` / `.gitattributes` by the trees, to check next. */
  gitmodules: string[];
  gitattributes: string[];
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Words the findings of the pack's objects, in the order git meets them (the
 * objects stored whole, in pack order, then the deltas in pack order), up to
 * and including the first object with an error, where git stops.
 * `idOf(entry)` gives an entry's id, `isDelta(entry)` whether it is stored as one.
 */
export function judgeFindings(findings: Finding[], idOf: (entry: number) => string, isDelta: (entry: number) => boolean): JudgeResult {
  const byEntry = new Map<number, Finding[]>();
  for (const f of findings) {
    let list = byEntry.get(f.entry);
    if (!list) byEntry.set(f.entry, (list = []));
    list.push(f);
  }
  const order = [...byEntry.keys()].sort((a, b) => Number(isDelta(a)) - Number(isDelta(b)) || a - b);
  const res: JudgeResult = { lines: [], fatal: null, gitmodules: [], gitattributes: [] };
  for (const entry of order) {
    const id = idOf(entry);
    const r = judgeObject(id, byEntry.get(entry)!, res);
    if (r) {
      res.fatal = r;
      res.failed = id;
      break;
    }
  }
  return res;
}

/** Lines for one object's findings; returns git's fatal message when the object fails. */
function judgeObject(id: string, list: Finding[], res: JudgeResult): string | null {
  let failed = false;
  for (const f of list) {
    if (f.code === FOUND_GITMODULES) res.gitmodules.push(hex(f.payload));
    else if (f.code === FOUND_GITATTRIBUTES) res.gitattributes.push(hex(f.payload));
    else if (f.code === BAD_TAG_NAME) res.lines.push(`warning: object ${id}: badTagName: invalid 'tag' name: ${latin1(f.payload)}`);
    else if (f.code in DECODE) res.lines.push(`error: ${DECODE[f.code]}`);
    else if (f.code === 60) return parseFailure(res, `bogus commit object ${id}`, 'invalid commit');
    else if (f.code === 61) return parseFailure(res, `bad tree pointer in commit ${id}`, 'invalid commit');
    else if (f.code === 62) return parseFailure(res, `bad parents in commit ${id}`, 'invalid commit');
    else if (f.code === 63) return parseFailure(res, `object ${id}: not a tag: its object, type or tag header is missing or malformed`, 'invalid tag');
    else if (f.code === 64) return parseFailure(res, `unknown tag type '${latin1(f.payload)}' in ${id}`, 'invalid tag');
    else {
      const m = MESSAGES[f.code];
      if (!m) throw new Error(`unknown fsck finding ${f.code} for object ${id}`);
      res.lines.push(`${m[2]}: object ${id}: ${m[0]}: ${m[1].replace('%d', String(f.aux))}`);
      if (m[2] === 'error') failed = true;
    }
  }
  return failed ? 'fsck error in packed object' : null;
}

/** index-pack's parsing refused the object: git prints its error, then dies "invalid <type>". */
function parseFailure(res: JudgeResult, error: string, fatal: string): string {
  res.lines.push(`error: ${error}`);
  return fatal;
}

/** git's ATTR_MAX_FILE_SIZE and ATTR_MAX_LINE_LENGTH (attr.h). */
const ATTR_MAX_FILE_SIZE = 100 * 1024 * 1024;
const ATTR_MAX_LINE_LENGTH = 2048;

/**
 * fsck_blob()'s checks of a blob a tree names `.gitmodules` or
 * `.gitattributes` (`what`); `obj` null when neither the pack nor the
 * repository has it (index-pack ignores that). Returns the lines, and whether
 * the blob fails.
 */
export function checkSpecialBlob(what: 'gitmodules' | 'gitattributes', id: string, obj: LocalObject | null): { lines: string[]; failed: boolean } {
  const lines: string[] = [];
  let failed = false;
  const error = (msgId: string, text: string) => {
    lines.push(`error: object ${id}: ${msgId}: ${text}`);
    failed = true;
  };
  if (!obj) return { lines, failed };
  if (obj.type !== 3) {
    error(`${what}Blob`, `non-blob found at .${what}`);
    return { lines, failed };
  }
  if (what === 'gitmodules') {
    for (const r of gitmodulesReports(obj.data)) {
      // gitmodulesParse is informational: a warning.
      if (r.id === 'gitmodulesParse') lines.push(`warning: object ${id}: ${r.id}: ${r.message}`);
      else error(r.id, r.message);
    }
    return { lines, failed };
  }
  if (obj.data.length > ATTR_MAX_FILE_SIZE) {
    error('gitattributesLarge', '.gitattributes too large to parse');
    return { lines, failed };
  }
  // Lines up to a NUL, as git reads the blob as a C string.
  const d = obj.data;
  let start = 0;
  for (let i = 0; i <= d.length; i++) {
    if (i === d.length || d[i] === 0x0a || d[i] === 0) {
      if (i - start >= ATTR_MAX_LINE_LENGTH) {
        error('gitattributesLineLength', '.gitattributes has too long lines to parse');
        break;
      }
      if (i === d.length || d[i] === 0) break;
      start = i + 1;
    }
  }
  return { lines, failed };
}

/**
 * A link inside the pack to an object of another type (the core's
 * FSCK_LINK_TYPE findings): git's words depend on which of the two it met
 * first. The object that names the other first: it is taken at its word, and
 * the object itself is then refused ("invalid blob object X", "invalid tree").
 * The named object first: the walk from the other fails ("Not all child
 * objects of R are reachable"). Reports the first link in that order.
 */
export function judgeLinks(findings: Finding[], idOf: (entry: number) => string, isDelta: (entry: number) => boolean): { lines: string[]; fatal: string; failed: string } {
  const rank = (e: number) => (isDelta(e) ? 0x100000000 : 0) + e;
  const f = findings.reduce((a, b) => (rank(b.entry) < rank(a.entry) ? b : a));
  const v = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
  const target = v.getUint32(20, true);
  const x = hex(f.payload.subarray(0, 20));
  const expected = TYPE_NAMES[f.aux & 0xff];
  const actual = TYPE_NAMES[(f.aux >> 8) & 0xff];
  if (rank(f.entry) < rank(target)) {
    return { lines: [`error: object ${x} is a ${expected}, not a ${actual}`], fatal: actual === 'blob' ? `invalid blob object ${x}` : `invalid ${actual}`, failed: x };
  }
  return { lines: [`error: object ${x} is a ${actual}, not a ${expected}`], fatal: `Not all child objects of ${idOf(f.entry)} are reachable`, failed: idOf(f.entry) };
}

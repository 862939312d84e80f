// Tree objects through the core (assembly/tree.ts): parsing, format checks and
// the path-safety rules, with refusals that name the path.
import type { Core } from './instance.ts';
import { CoreError } from './instance.ts';

/** assembly/error.ts E_PATH: a path a checkout must refuse (index-file.ts uses it too). */
export const E_PATH = -41;
const FLAG_GITMODULES = 1;
const FLAG_ODD_MODE = 2;

export interface TreeEntry {
  /** Canonical mode: 0o040000, 0o100644, 0o100755, 0o120000 or 0o160000. */
  mode: number;
  /** The name's bytes (git names are bytes, usually UTF-8). */
  name: Buffer;
  /** The object id, 20 bytes. */
  id: Buffer;
  /** A regular file git treats as `.gitmodules` (any spelling): its content must be checked. */
  gitmodules: boolean;
  /** The tree stored a non-canonical mode (e.g. 100664 or zero-padded). */
  oddMode: boolean;
}

/** A path a checkout refuses, and the rule it breaks. */
export class UnsafePathError extends Error {
  constructor(readonly path: string, readonly rule: string) {
    super(`refusing to check out '${path}': ${rule}`);
    this.name = 'UnsafePathError';
  }
}

/** Renders path bytes for messages: UTF-8 where valid, C-style escapes elsewhere. */
export function displayPath(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\ufffd' || c < 0x20 || c === 0x7f) out += c < 0x80 ? `\\x${c.toString(16).padStart(2, '0')}` : '\\ufffd';
    else out += ch;
  }
  return out;
}

/**
 * Parses the tree whose content is at [ptr, ptr+len) of the core's memory.
 * `prefix` is the tree's path in the checkout (empty or ending in '/'), used to
 * name refused entries; `what` names the tree in format errors.
 */
export function parseTreeAt(core: Core, ptr: number, len: number, prefix: Buffer, what: string): TreeEntry[] {
  const e = core.exports;
  const n = parseTreeTable(core, ptr, len, prefix, what);
  const table = new DataView(e.memory.buffer, e.treeEntriesPtr(), n * TREE_ENTRY);
  const data = Buffer.from(e.memory.buffer, ptr, len);
  const out: TreeEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const mode = table.getUint32(i * 16, true);
    const nameOff = table.getUint32(i * 16 + 4, true);
    const nameLen = table.getUint32(i * 16 + 8, true);
    const flags = table.getUint32(i * 16 + 12, true);
    out[i] = {
      mode,
      name: Buffer.from(data.subarray(nameOff, nameOff + nameLen)),
      id: Buffer.from(data.subarray(nameOff + nameLen + 1, nameOff + nameLen + 21)),
      gitmodules: (flags & FLAG_GITMODULES) !== 0,
      oddMode: (flags & FLAG_ODD_MODE) !== 0,
    };
  }
  return out;
}

/** Bytes per entry of the core's table: mode, name offset, name length, flags (FLAG_*), each a little-endian u32. */
export const TREE_ENTRY = 16;
export { FLAG_GITMODULES, FLAG_ODD_MODE };

/**
 * Parses the tree at [ptr, ptr+len) of the core's memory, as parseTreeAt()
 * does, leaving its entries in the core's table (TREE_ENTRY bytes each, at
 * treeEntriesPtr(), valid until the next call into the core) for a caller
 * that reads them without making an object per entry. Returns their number.
 */
export function parseTreeTable(core: Core, ptr: number, len: number, prefix: Buffer, what: string | (() => string)): number {
  const e = core.exports;
  const n = e.treeParse(ptr, len);
  if (n < 0) {
    const err = core.lastError(n);
    if (n === E_PATH && err.offset !== undefined) {
      const data = core.bytes(ptr, len);
      let end = err.offset;
      while (end < len && data[end] !== 0) end++;
      const path = Buffer.concat([prefix, data.subarray(err.offset, end)]);
      throw new UnsafePathError(displayPath(path), err.message);
    }
    throw new CoreError(`${typeof what === 'string' ? what : what()}: ${err.message}${err.offset !== undefined ? ` (at byte ${err.offset})` : ''}`, err.code, err.offset);
  }
  return n;
}

/** Parses a tree object's content given as bytes (copied into the core). */
export function parseTree(core: Core, content: Uint8Array, prefix: Buffer = Buffer.alloc(0), what = 'tree'): TreeEntry[] {
  const ptr = core.alloc(Math.max(content.length, 1));
  core.bytes(ptr, content.length).set(content);
  return parseTreeAt(core, ptr, content.length, prefix, what);
}

// Checkout conversions through the core (assembly/convert.ts): git's text
// statistics, $Id$ expansion and LF -> CRLF. See docs/core-abi.md.
import type { Core } from './instance.ts';

/** assembly/convert.ts CONVERT_* flags. */
export const CONVERT_IDENT = 1;
export const CONVERT_CRLF = 2;
export const CONVERT_CRLF_AUTO = 4;

/** What git's gather_stats() counts in a blob. */
export interface TextStats {
  nul: number;
  lonecr: number;
  lonelf: number;
  crlf: number;
  printable: number;
  nonprintable: number;
  /** git's convert_is_binary(). */
  binary: boolean;
}

/** Per-core buffers (the stub allocator never frees): the blob id, and a staging buffer for bytes from the host. */
interface Scratch { id: number; staging: number; stagingCap: number }
const scratch = new WeakMap<Core, Scratch>();

function scratchOf(core: Core): Scratch {
  let s = scratch.get(core);
  if (!s) {
    s = { id: core.alloc(20), staging: 0, stagingCap: 0 };
    scratch.set(core, s);
  }
  return s;
}

/**
 * Converts the blob at [ptr, ptr+len) of the core's memory (e.g. a view from
 * ObjectStore.view()) as `flags` ask. Returns a view of the result in the
 * core's memory (the input itself when nothing changed), valid until the next
 * call into the core.
 */
export function convertInCore(core: Core, ptr: number, len: number, flags: number, id: Uint8Array): Uint8Array {
  const s = scratchOf(core);
  core.bytes(s.id, 20).set(id.subarray(0, 20));
  const n = core.check(core.exports.convertToWorktree(ptr, len, flags, s.id));
  return core.bytes(core.exports.convertOutPtr(), n);
}

/** Copies host bytes into the core (a buffer reused per core) and returns their pointer. */
function stage(core: Core, bytes: Uint8Array): number {
  const s = scratchOf(core);
  if (bytes.length > s.stagingCap) {
    s.stagingCap = Math.max(bytes.length, 4096);
    s.staging = core.alloc(s.stagingCap);
  }
  core.bytes(s.staging, bytes.length).set(bytes);
  return s.staging;
}

/** convertInCore() on bytes held by the host; returns a copy of the result. */
export function convertBytes(core: Core, bytes: Uint8Array, flags: number, id: Uint8Array): Uint8Array {
  const ptr = stage(core, bytes);
  return convertInCore(core, ptr, bytes.length, flags, id).slice();
}

/** git's gather_stats() and convert_is_binary() on `bytes`. */
export function textStats(core: Core, bytes: Uint8Array): TextStats {
  const e = core.exports;
  const binary = e.convertStats(stage(core, bytes), bytes.length) === 1;
  const v = new DataView(e.memory.buffer, e.convertStatsPtr(), 24);
  const u = (o: number) => v.getUint32(o, true);
  return { nul: u(0), lonecr: u(4), lonelf: u(8), crlf: u(12), printable: u(16), nonprintable: u(20), binary };
}

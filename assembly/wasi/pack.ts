// Drives the core's pack indexing over an open WASI file: the job the host's
// TypeScript does in the JS build (host/core/pack.ts), done inside the module.
//
// Pass 1 streams the pack front to back into the core's input window with
// positioned reads; pass 2 resolves deltas, reading entries back through
// readAt (fd_pread in this build); then the .idx is built in memory. One
// instance does all the work: WASI preview1 has no threads.
import { readAt } from "../host";
import { E_READ, fail } from "../error";
import {
  packScanBegin, packScanWindow, packScanSpace, packScanPush, packScanEnd,
  packResolveBegin, packResolveAll, packResolveCheck, packIdxBuild, packIdxPtr, packChecksumPtr,
} from "../pack/index";
import { count, typeOf, kindOf, idOf, idHex, sizeOf, offsetOf, depthOf, baseOf } from "../pack/table";
import { isDelta } from "../pack/entry";
import { kindName } from "../pack/object";
import { writeString } from "./io";

export let idxPtr: usize = 0;
export let idxLen: usize = 0;
/** The pack's trailer checksum, which git index-pack prints. */
export let packHashPtr: usize = 0;

/** Indexes the pack open as `fd` (of `size` bytes). Returns 0 or the core's negative error. */
export function indexPackFd(fd: u32, size: u64): i32 {
  let st = packScanBegin(size, U64.MAX_VALUE); // default delta store
  if (st < 0) return st;
  let at: u64 = 0;
  while (at < size) {
    let space = packScanSpace();
    let want = <u64>space < size - at ? <u32>space : <u32>(size - at);
    let got = readAt(fd, at, packScanWindow(), want);
    if (got != want) return fail(E_READ, "read of " + want.toString() + " bytes at offset " + at.toString() + " returned " + got.toString(), at);
    at += got;
    st = packScanPush(got);
    if (st < 0) return st;
  }
  st = packScanEnd();
  if (st < 0) return st;
  st = packResolveBegin(fd, 0, 0, false); // default cache budget and memory limit
  if (st < 0) return st;
  st = packResolveAll();
  if (st < 0) return st;
  st = packResolveCheck();
  if (st < 0) return st;
  st = packIdxBuild();
  if (st < 0) return st;
  idxPtr = packIdxPtr();
  idxLen = <usize>st;
  packHashPtr = packChecksumPtr();
  return 0;
}

function plural(n: u32, one: string, many: string): string {
  return n.toString() + " " + (n == 1 ? one : many);
}

/**
 * Prints what `git verify-pack -v` prints for the pack just indexed: one line
 * per entry in pack order (id, type, size, size in pack, offset, and for a
 * delta its chain depth and base id), then the chain-length histogram
 * (builtin/index-pack.c, show_pack_info).
 */
export function writeVerbose(fd: u32): void {
  let n = count;
  let deepest: u32 = 0;
  for (let e: u32 = 0; e < n; e++) if (isDelta(typeOf(e)) && depthOf(e) > deepest) deepest = depthOf(e);
  let histogram = new StaticArray<u32>(<i32>deepest + 1);
  let bases: u32 = 0;
  let line = "";
  for (let e: u32 = 0; e < n; e++) {
    let name = kindName(kindOf(e));
    while (name.length < 6) name += " ";
    line = idHex(idOf(e)) + " " + name + " " + sizeOf(e).toString() + " " +
      (offsetOf(e + 1) - offsetOf(e)).toString() + " " + offsetOf(e).toString();
    if (isDelta(typeOf(e))) {
      let d = depthOf(e);
      histogram[d]++;
      line += " " + d.toString() + " " + idHex(idOf(baseOf(e)));
    } else bases++;
    writeString(fd, line + "\n");
  }
  if (bases) writeString(fd, "non delta: " + plural(bases, "object", "objects") + "\n");
  for (let d: u32 = 1; d <= deepest; d++) {
    if (histogram[d]) writeString(fd, "chain length = " + d.toString() + ": " + plural(histogram[d], "object", "objects") + "\n");
  }
}

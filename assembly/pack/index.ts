// Pack exports: part of the ABI, see docs/core-abi.md, "Pack indexing".
// One pack is indexed per instance: pass 1 (packScan*), pass 2 (packResolve*),
// then the .idx (packIdx*). The entry table they share is described in table.ts.

import { E_OUT_OF_MEMORY, fail } from "../error";
import { idxBuild, idxPtr } from "./idx";
import { mergeRecords, recordsCount, recordsPtr, resolveAll, resolveBegin, resolveSome, resolveCheck, resolveFsckBases, resolveGather, resolveLinksFrom, resolveList, resolveRoots, resolveStrict } from "./resolve";
import { linksGrow, linksSetPtr, linksSetSlots } from "./links";
import { storeGatherPtr, storeLoad, storeUnload } from "./store";
import { packChecksum, scanBegin, scanEnd, scanOffset, scanPush, scanSpace, scanWindow } from "./scan";
import { block, blockLen, count, layout, tryAlloc } from "./table";
import { thinAppend, thinBasePtr, thinBegin, thinEnd, thinEntry, thinEntryPtr, thinNext } from "./thin";

export { deltaHeader, deltaBaseSize, deltaResultSize, applyDelta } from "./delta";

// Pass 1: the host streams the pack in.
export function packScanBegin(totalSize: u64, deltaStoreLimit: u64): i32 { return scanBegin(totalSize, deltaStoreLimit); }
export function packScanWindow(): usize { return scanWindow(); }
export function packScanSpace(): usize { return scanSpace(); }
export function packScanPush(n: usize): i32 { return scanPush(n); }
export function packScanEnd(): i32 { return scanEnd(); }
export function packScanOffset(): u64 { return scanOffset(); }
export function packChecksumPtr(): usize { return packChecksum; }

// The entry table, for the host to read results and to hand copies to workers.
export function packTablePtr(): usize { return block; }
export function packTableCount(): u32 { return count; }
export function packTableBytes(): usize { return blockLen; }
/** Makes room for a copy of a table of `n` rows (a worker's); the host copies it there. */
export function packTableAlloc(n: u32): usize {
  let len = <u64>n * 58 + 8;
  let p = tryAlloc(len);
  if (p == 0) return <usize>fail(E_OUT_OF_MEMORY, "no memory for a table of " + n.toString() + " objects");
  layout(p, n);
  return p;
}

// Pass 2: resolving deltas, in one instance or split over several.
export function packResolveBegin(source: u32, cacheLimit: u64, memoryLimit: u64, record: bool): i32 { return resolveBegin(source, cacheLimit, memoryLimit, record); }
let rootsBuf: usize = 0;
/** Lists roots with children as (entry, estimated work) u32 pairs at packRootsPtr(); returns how many. */
export function packRootsBuild(): i32 {
  rootsBuf = tryAlloc((<u64>count << 3) + 8);
  if (rootsBuf == 0) return fail(E_OUT_OF_MEMORY, "no memory to list delta bases");
  return <i32>resolveRoots(rootsBuf);
}
export function packRootsPtr(): usize { return rootsBuf; }
export function packResolveList(list: usize, n: u32): i32 { return resolveList(list, n); }
export function packResolveAll(): i32 { return resolveAll(); }
export function packResolveSome(budget: u32): i32 { return resolveSome(budget); }
// The delta store, shipped with each batch to a worker (store.ts).
export function packStoreGather(list: usize, n: u32): i32 { return resolveGather(list, n); }
export function packStoreGatherPtr(): usize { return storeGatherPtr(); }
export function packStoreLoad(p: usize, len: usize): i32 { return storeLoad(p, len); }
export function packStoreUnload(p: usize, len: usize): void { storeUnload(p, len); }
export function packRecordsPtr(): usize { return recordsPtr(); }
export function packRecordsCount(): u32 { return recordsCount(); }
export function packMergeRecords(p: usize, n: u32): i32 { return mergeRecords(p, n); }
export function packResolveCheck(): i32 { return resolveCheck(); }

// index-pack --strict: objects checked as they resolve, and those stored whole
// checked on their own; findings at fsckFindingsPtr() (assembly/fsck.ts).
export function packStrict(on: bool): void { resolveStrict(on); }
export function packFsckBases(from: u32, to: u32): i32 { return resolveFsckBases(from, to); }
// Connectivity, after packIdxBuild(): links.ts.
export function packLinksGrow(slots: u32): i32 { return linksGrow(slots); }
export function packLinksRun(from: u32): i32 { return resolveLinksFrom(from); }
export function packLinksSetPtr(): usize { return linksSetPtr(); }
export function packLinksSetSlots(): u32 { return linksSetSlots(); }

// Completing a thin pack with bases from the host's repository (thin.ts).
export function packThinBegin(): i32 { return thinBegin(); }
export function packThinNext(from: u32): i32 { return thinNext(from); }
export function packThinBasePtr(): usize { return thinBasePtr(); }
export function packThinEntry(kind: u32, content: usize, len: usize, level: i32): i32 { return thinEntry(kind, content, len, level); }
export function packThinEntryPtr(): usize { return thinEntryPtr(); }
export function packThinAppend(kind: u32, content: usize, len: usize, entry: usize, entryLen: usize, expected: usize): i32 { return thinAppend(kind, content, len, entry, entryLen, expected); }
export function packThinEnd(): i32 { return thinEnd(); }

// The .idx (version 2).
export function packIdxBuild(): i32 { return idxBuild(); }
export function packIdxPtr(): usize { return idxPtr(); }

// Reading objects by id from a pack and its .idx (checkout).
export * from "./read";

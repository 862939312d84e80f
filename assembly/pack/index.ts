// Pack exports: part of the ABI, see docs/core-abi.md, "Pack indexing".
// One pack is indexed per instance: pass 1 (packScan*), pass 2 (packResolve*),
// then the .idx (packIdx*). The entry table they share is described in table.ts.

import { E_OUT_OF_MEMORY, fail } from "../error";
import { idxBuild, idxPtr } from "./idx";
import { mergeRecords, recordsCount, recordsPtr, resolveAll, resolveBegin, resolveSome, resolveCheck, resolveGather, resolveList, resolveRoots } from "./resolve";
import { storeGatherPtr, storeLoad, storeUnload } from "./store";
import { packChecksum, scanBegin, scanEnd, scanOffset, scanPush, scanSpace, scanWindow } from "./scan";
import { block, blockLen, count, layout, tryAlloc } from "./table";

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

// The .idx (version 2).
export function packIdxBuild(): i32 { return idxBuild(); }
export function packIdxPtr(): usize { return idxPtr(); }

// Reading objects by id from a pack and its .idx (checkout).
export * from "./read";

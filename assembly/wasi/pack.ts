// Drives the core's pack indexing over an open WASI file (placeholder until the
// pack-indexing exports exist).
import { E_INVALID_ARG, fail } from "../error";
import { readAt } from "../host";

export let idxPtr: usize = 0;
export let idxLen: usize = 0;
export let packHashPtr: usize = 0;

export function indexPackFd(fd: u32, size: u64): i32 {
  let probe = heap.alloc(12);
  if (readAt(fd, 0, probe, 12) != 12) return fail(-35, "pack shorter than its header", 0);
  return fail(E_INVALID_ARG, "pack indexing is not in this build", 0);
}

export function writeVerbose(fd: u32): void {}

// Allocation for the host.
//
// The core runs on AssemblyScript's stub runtime: a bump allocator that never
// frees (no GC work in hot loops). The host must not write above __heap_base on
// its own; it asks for buffers here and copies bytes into them.

/** Returns a 16-byte aligned buffer of `size` bytes owned by the caller. */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Frees `ptr`; space is reclaimed only when it is the most recent allocation. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

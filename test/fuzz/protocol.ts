// What the fuzz driver hands its worker, and the shared buffer the watchdog reads.

export interface WorkerJob {
  target: string;
  seed: number;
  start: number;
  iterations?: number;
  deadline?: number;
  corpus: Uint8Array[];
  wasm: string;
  shared: SharedArrayBuffer;
}

/** Layout of the shared buffer: [ticks, iteration, length, runSeed] then the input bytes. */
export const HEAD = 16;

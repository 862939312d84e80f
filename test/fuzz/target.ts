// What a fuzz target is: seeds to start from, optional structure-aware
// mutation, and a run that ends in an outcome or throws a Failure.
import type { Rng } from './prng.ts';
import type { Sandbox } from './sandbox.ts';
import type { Field, MutateContext } from './mutate.ts';
import type { Seeds } from './seeds.ts';

export interface Outcome {
  /** A cheap coverage proxy: mode, status, error class, output size bucket. */
  signature: string;
}

export interface Target {
  name: string;
  /** Valid inputs to start from. */
  seeds(s: Seeds): Uint8Array[];
  /** Size fields a mutation may enlarge. */
  fields?(data: Uint8Array): Field[];
  /** Replaces the generic mutation (inputs with several parts). */
  mutate?(data: Uint8Array, rng: Rng, generic: (d: Uint8Array) => Uint8Array, ctx: MutateContext): Uint8Array;
  /** Runs one input; `runSeed` drives the run's own choices (chunk splits, modes) so it replays exactly. */
  run(sb: Sandbox, input: Uint8Array, runSeed: number): Outcome;
  /** Largest input worth trying. */
  maxLen: number;
  /** Instance recycling: runs per fresh instance. */
  recycleEvery?: number;
}

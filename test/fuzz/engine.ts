// The fuzz loop: pick an input from the corpus, mutate it, run it, keep it when
// its outcome signature is new (a cheap stand-in for coverage), and on a failure
// minimise the input and report it. Iteration i draws its randomness from
// (seed, i) alone, so a seed replays exactly and a restarted loop can resume.
import { Rng, fnv1a } from './prng.ts';
import { mutate, plain, type MutateContext } from './mutate.ts';
import { Failure, Sandbox, asFailure } from './sandbox.ts';
import type { Target } from './target.ts';

export interface FoundFailure {
  kind: string;
  message: string;
  input: Uint8Array;
  runSeed: number;
  iteration: number;
}

export interface LoopOptions {
  target: Target;
  module: WebAssembly.Module;
  corpus: Uint8Array[];
  seed: number;
  /** First iteration (a restarted loop resumes after the input that hung). */
  start?: number;
  /** Stop after this iteration count... */
  iterations?: number;
  /** ...or at this time (ms since the epoch). */
  deadline?: number;
  /** Called before each input runs (the watchdog's view of what is running). */
  onInput?(iteration: number, input: Uint8Array, runSeed: number): void;
  onNew?(input: Uint8Array): void;
  onFailure?(f: FoundFailure): void;
}

export interface LoopStats {
  iterations: number;
  signatures: number;
  corpus: number;
  failures: number;
}

/** The failure a single input causes with a given run seed, or null. */
export function runOne(sb: Sandbox, target: Target, input: Uint8Array, runSeed: number): { failure: Failure | null; signature?: string } {
  sb.begin();
  try {
    const r = target.run(sb, input, runSeed);
    return { failure: null, signature: r.signature };
  } catch (e) {
    sb.fresh(); // whatever the failure left in memory must not leak into the next run
    return { failure: asFailure(e, target.name) };
  }
}

/** Shrinks a failing input while it still fails the same way (truncation, then chunk removal). */
export function minimise(sb: Sandbox, target: Target, input: Uint8Array, runSeed: number, kind: string, maxTries = 3000): Uint8Array {
  let best = input;
  let tries = 0;
  const fails = (d: Uint8Array) => {
    tries++;
    const r = runOne(sb, target, d, runSeed);
    return r.failure?.kind === kind;
  };
  for (let size = best.length >> 1; size >= 1 && tries < maxTries; size >>= 1) {
    // Cut the tail first (most inputs fail early), then remove blocks from anywhere.
    while (best.length > size && tries < maxTries && fails(best.subarray(0, best.length - size))) best = best.slice(0, best.length - size);
    for (let at = 0; at + size <= best.length && tries < maxTries; ) {
      const cand = new Uint8Array(best.length - size);
      cand.set(best.subarray(0, at));
      cand.set(best.subarray(at + size), at);
      if (fails(cand)) best = cand;
      else at += size;
    }
  }
  return best;
}

export function loop(o: LoopOptions): LoopStats {
  const { target } = o;
  const sb = new Sandbox(o.module, target.recycleEvery ?? 64);
  const corpus: Uint8Array[] = o.corpus.map((c) => new Uint8Array(c)); // copies: nothing may change the caller's inputs
  const signatures = new Set<string>();
  const seen = new Set<string>(); // failure classes already reported in this loop
  let failures = 0;
  let ran = 0;

  const handle = (input: Uint8Array, runSeed: number, iteration: number, keep: boolean) => {
    const r = runOne(sb, target, input, runSeed);
    if (r.failure) {
      failures++;
      const cls = `${r.failure.kind}:${r.failure.message.replace(/\d+/g, '#')}`;
      if (seen.has(cls)) return;
      seen.add(cls);
      const small = minimise(sb, target, input, runSeed, r.failure.kind);
      const again = runOne(sb, target, small, runSeed).failure ?? r.failure;
      o.onFailure?.({ kind: again.kind, message: again.message, input: small, runSeed, iteration });
      return;
    }
    if (r.signature && !signatures.has(r.signature)) {
      signatures.add(r.signature);
      if (keep) {
        corpus.push(input);
        o.onNew?.(input);
      }
    }
  };

  // The seeds themselves first (start 0 only: a resumed loop has run them).
  if (!o.start) {
    for (const s of corpus.slice()) {
      const runSeed = fnv1a(s);
      o.onInput?.(-1, s, runSeed);
      handle(s, runSeed, -1, false);
    }
  }
  const ctxFor = (rng: Rng): MutateContext => ({
    other: () => corpus[rng.below(corpus.length)],
    fields: target.fields,
  });
  for (let i = o.start ?? 0; ; i++) {
    if (o.iterations !== undefined && i >= o.iterations) break;
    if (o.deadline !== undefined && (i & 15) === 0 && Date.now() >= o.deadline) break;
    const rng = new Rng(o.seed, i);
    // Half the time a recent addition: new behaviour is where new bugs are.
    const parent = corpus.length > o.corpus.length && rng.chance(0.5)
      ? corpus[o.corpus.length + rng.below(corpus.length - o.corpus.length)]
      : corpus[rng.below(corpus.length)];
    const ctx = ctxFor(rng);
    const generic = (d: Uint8Array) => mutate(d, rng, ctx, target.maxLen);
    let input = plain(target.mutate ? target.mutate(parent, rng, generic, ctx) : generic(parent));
    if (input.length > target.maxLen) input = input.subarray(0, target.maxLen);
    const runSeed = rng.u32();
    o.onInput?.(i, input, runSeed);
    handle(input, runSeed, i, true);
    ran++;
  }
  return { iterations: ran, signatures: signatures.size, corpus: corpus.length, failures };
}

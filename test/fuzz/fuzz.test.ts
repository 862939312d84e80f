// A fixed-seed fuzzing pass over every core parser: the same iterations on every
// run (counted, not timed, so each run covers the same ground). Any failure
// (trap, hang, write outside a buffer, disagreement with node:zlib or the
// reference) fails the suite and prints the minimised input to save under
// test/corpus/<target>/ (or run `npm run fuzz -- --seed <seed> --target <t>`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzzTarget } from './fuzz.ts';
import { defaultTargets as targetNames } from './targets/index.ts';

const SEED = 20240601;
/** Iterations per target: about a minute in all on two cores. */
const BUDGET: Record<string, number> = { inflate: 30_000, delta: 40_000, pack: 1_500, tree: 30_000 };

const names = targetNames;
let reports: Awaited<ReturnType<typeof fuzzTarget>>[] = [];

test.before(async () => {
  // Two targets at a time: one per core.
  const queue = [...names];
  await Promise.all([0, 1].map(async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      reports.push(await fuzzTarget({ target: t, seed: SEED, iterations: BUDGET[t] ?? 10_000 }));
    }
  }));
});

for (const name of names) {
  test(`fuzz ${name}: ${BUDGET[name] ?? 10_000} inputs from seed ${SEED} end in a result or an error code`, () => {
    const r = reports.find((x) => x.target === name)!;
    const lines = r.failures.map((f) => `${f.kind}: ${f.message}\n  run seed ${f.runSeed >>> 0}, input (base64): ${Buffer.from(f.input).toString('base64').slice(0, 4000)}`);
    assert.is(r.failures.length, 0, `${name} failures:\n${lines.join('\n')}`);
    assert.is(r.iterations, BUDGET[name] ?? 10_000, 'every iteration ran');
    // The coverage proxy must see more than one kind of outcome, or the target tests nothing.
    assert.ok(r.signatures >= 5, `${name}: only ${r.signatures} distinct outcomes`);
    console.log(`  fuzz ${name}: ${r.iterations} inputs, ${r.signatures} outcome signatures, corpus ${r.corpus}`);
  });
}

test.run();

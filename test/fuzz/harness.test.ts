// The fuzz harness itself: each kind of failure it exists to catch must be
// caught (a trap, writes outside a buffer or into the input, a status code
// outside the ABI, an infinite loop inside wasm), and a seed must replay exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzzTarget } from './fuzz.ts';
import { Rng } from './prng.ts';
import { mutate } from './mutate.ts';

test('every kind of failure is caught, the hang by the watchdog, and the loop goes on', async () => {
  const r = await fuzzTarget({
    target: '_selftest',
    seed: 1,
    iterations: 30,
    timeoutMs: 1500,
    corpus: [0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0x00].map((b) => Uint8Array.of(b, 1, 2)),
  });
  const kinds = new Set(r.failures.map((f) => f.kind));
  for (const k of ['trap', 'out-of-bounds-write', 'input-modified', 'hang', 'bad-status']) {
    assert.ok(kinds.has(k), `a ${k} was reported (got ${[...kinds].join(', ')})`);
  }
  const hang = r.failures.find((f) => f.kind === 'hang')!;
  assert.is(hang.input[0], 0xd4, 'the hang names the input that was running');
  // Minimised: the trailing bytes do not matter to the failure.
  const trap = r.failures.find((f) => f.kind === 'trap')!;
  assert.is(trap.input.length, 1, 'the trapping input was minimised to its first byte');
  assert.is(r.iterations, 30, 'the loop resumed after the hang and ran every iteration');
});

test('a seed replays the same mutations', () => {
  const base = new TextEncoder().encode('a seed input of some length, to be mutated the same way twice');
  const run = () => {
    const out: string[] = [];
    for (let i = 0; i < 200; i++) {
      const rng = new Rng(42, i);
      out.push(Buffer.from(mutate(base, rng, { other: () => base })).toString('hex'));
    }
    return out;
  };
  const a = run();
  assert.equal(run(), a);
  assert.ok(new Set(a).size > 150, 'mutations differ from one iteration to the next');
});

test.run();

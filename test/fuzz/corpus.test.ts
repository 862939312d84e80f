// Replays every input kept under test/corpus/<target>/ (inputs that once made
// the core fail, and hand-made hostile ones). Each must now end in a result or
// an error code, with the run seed it failed with and with others.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corpusFiles } from './fuzz.ts';
import { runOne } from './engine.ts';
import { Sandbox } from './sandbox.ts';
import { mix32 } from './prng.ts';
import { targets } from './targets/index.ts';

const module = new WebAssembly.Module(readFileSync(fileURLToPath(new URL('../../build/wasmgit.wasm', import.meta.url))));

for (const [name, target] of Object.entries(targets)) {
  if (name.startsWith('_')) continue;
  const files = corpusFiles(name);
  if (!files.length) continue;
  test(`corpus ${name}: ${files.length} saved inputs end in a result or an error code`, () => {
    const sb = new Sandbox(module, 1);
    let runs = 0;
    for (const f of files) {
      // The seed it failed with first, then others: each seed picks other modes and splits.
      for (let k = 0; k < 16; k++) {
        const runSeed = k === 0 ? f.runSeed : mix32(f.runSeed, k);
        const r = runOne(sb, target, f.data, runSeed);
        if (r.failure) assert.unreachable(`${name}/${f.name} (run seed ${runSeed >>> 0}): ${r.failure.kind}: ${r.failure.message}`);
        assert.ok(r.signature, 'the run reported an outcome');
        runs++;
      }
    }
    assert.is(runs, files.length * 16);
  });
}

test.run();

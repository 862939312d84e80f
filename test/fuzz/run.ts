// npm run fuzz -- [--seconds N | --iterations N] [--seed S] [--target inflate|delta|pack|tree]... [--jobs J] [--debug] [--no-save]
//
// Fuzzes the core's parsers. Each failure is minimised and saved under
// test/corpus/<target>/ (replayed by test/fuzz/corpus.test.ts); the exit status
// is 1 when anything failed.
import { fuzzTarget, saveFailure, type FuzzReport } from './fuzz.ts';
import { defaultTargets, targets } from './targets/index.ts';

function parse(argv: string[]) {
  const o = { seconds: undefined as number | undefined, iterations: undefined as number | undefined, seed: Date.now() >>> 0, targets: [] as string[], jobs: 2, debug: false, save: true, timeoutMs: 20_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seconds') o.seconds = Number(val());
    else if (a === '--iterations') o.iterations = Number(val());
    else if (a === '--seed') o.seed = Number(val()) >>> 0;
    else if (a === '--target') o.targets.push(...val().split(','));
    else if (a === '--jobs') o.jobs = Math.max(1, Number(val()));
    else if (a === '--timeout-ms') o.timeoutMs = Number(val());
    else if (a === '--debug') o.debug = true;
    else if (a === '--no-save') o.save = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz -- [--seconds N | --iterations N] [--seed S] [--target NAME[,NAME]] [--jobs J] [--timeout-ms MS] [--debug] [--no-save]');
      console.log(`targets: ${defaultTargets.join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!o.targets.length) o.targets = defaultTargets;
  if (o.seconds === undefined && o.iterations === undefined) o.seconds = 60;
  return o;
}

const o = parse(process.argv.slice(2));
// A time budget is shared among the targets running one after another on each job.
const rounds = Math.ceil(o.targets.length / o.jobs);
const perTarget = o.seconds !== undefined ? o.seconds / rounds : undefined;
console.log(`fuzzing ${o.targets.join(', ')} with seed ${o.seed}${perTarget ? `, ${perTarget.toFixed(0)} s each` : `, ${o.iterations} iterations each`}`);
const queue = [...o.targets];
const reports: FuzzReport[] = [];
await Promise.all(Array.from({ length: Math.min(o.jobs, queue.length) }, async () => {
  for (let t = queue.shift(); t; t = queue.shift()) {
    const r = await fuzzTarget({ target: t, seed: o.seed, seconds: perTarget, iterations: o.iterations, timeoutMs: o.timeoutMs, wasm: o.debug ? 'wasmgit.debug.wasm' : 'wasmgit.wasm', log: console.log });
    reports.push(r);
    for (const f of r.failures) {
      const where = o.save ? saveFailure(t, f) : f.input.length <= 4096 ? Buffer.from(f.input).toString('base64') : `(${f.input.length} bytes, not saved)`;
      console.log(`${t}: ${f.kind}: ${f.message}\n  run seed ${f.runSeed >>> 0}, input ${o.save ? 'saved to ' : ''}${where}`);
    }
    console.log(`${t}: ${r.iterations} inputs, ${r.signatures} outcome signatures, corpus ${r.corpus}, ${r.failures.length} distinct failures`);
  }
}));
const total = reports.reduce((n, r) => n + r.iterations, 0);
const failed = reports.reduce((n, r) => n + r.failures.length, 0);
console.log(`${total} inputs fuzzed (seed ${o.seed}), ${failed} distinct failures`);
process.exit(failed ? 1 : 0);

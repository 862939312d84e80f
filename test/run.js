// Runs every test/**/*.test.ts suite with uvu and ends with one plain line
// `N passed, N failed[, N skipped]` that CI reads.
//
// uvu prints Total/Passed/Skipped only; this runner queues the suites itself
// (UVU_DEFER), wraps each queued runner to count results, and bounds each suite
// with a timeout so a hang fails instead of stalling CI. It relies on uvu's
// internals (UVU_QUEUE, UVU_INDEX), so uvu is pinned to an exact version.
//
// Usage: npm test [-- <substring>...]   (runs only files whose path contains one)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

globalThis.UVU_DEFER = 1;
const { exec } = await import('uvu');

const root = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const SUITE_TIMEOUT_MS = Number(process.env.WASMGIT_SUITE_TIMEOUT_MS ?? 15 * 60 * 1000);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'fixtures' || name === 'corpus') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(root).filter((f) => !filters.length || filters.some((s) => f.includes(s)));
let passed = 0, failed = 0, skipped = 0;

for (let i = 0; i < files.length; i++) {
  const name = relative(root, files[i]);
  globalThis.UVU_QUEUE.push([name]);
  globalThis.UVU_INDEX = i;
  try {
    await import(pathToFileURL(files[i]).href);
  } catch (err) {
    // A suite that cannot even load counts as one failure, with its reason shown.
    console.error(`\n✘ ${name} failed to load:\n${err?.stack ?? err}`);
    failed++;
    globalThis.UVU_QUEUE[i] = [name];
  }
  const group = globalThis.UVU_QUEUE[i];
  for (let j = 1; j < group.length; j++) {
    const run = group[j];
    group[j] = async () => {
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve([`suite timed out after ${SUITE_TIMEOUT_MS} ms\n`, 0, 0, 1]), SUITE_TIMEOUT_MS);
      });
      const res = await Promise.race([run(), timeout]);
      clearTimeout(timer);
      const [errs, ran, skip, total] = res;
      passed += ran;
      failed += total - ran;
      skipped += skip;
      return res;
    };
  }
}

await exec();
const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(line);
process.exit(failed ? 1 : 0);

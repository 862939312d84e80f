// Skips that say why. uvu counts a skip without a reason; every skip in wasmgit's
// suites goes through here so the log shows what was not run and why.
import type { Test } from 'uvu';

export function skipWithReason(t: Test, name: string, reason: string): void {
  console.log(`\n  SKIP ${name}: ${reason}`);
  t.skip(name, () => {});
}

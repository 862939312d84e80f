// Running where the address space is limited (`ulimit -v`, RLIMIT_AS).
//
// Each V8 isolate (the main thread, every worker thread) reserves address
// space of its own up front, and Node 20's V8 reserves about 10 GiB more per
// wasm memory for the guard pages its bounds checks rely on. Reserved, not
// used: git, whose memory is only what it touches, runs under a limit of a
// few GB, where without care wasmgit could not make its core ("Out of
// memory: Cannot allocate Wasm memory") or ended the process when a worker
// thread started (V8's fatal "Failed to reserve virtual memory for
// CodeRange": no error to report, a crash). So under a limit:
// - the command runs itself again under Node's --disable-wasm-trap-handler
//   (explicit bounds checks, no reservation) when a wasm memory cannot be made;
// - no worker threads are started: deltas are resolved and files written on
//   the main thread.
import { readFileSync } from 'node:fs';
import { builtin } from './builtins.ts';

/** Below this much address space, no worker thread is started (Node 24 crashed starting one under 6 GB, not under 10 GB). */
const THREADS_MIN_BYTES = 16 * 2 ** 30;

let limit: number | undefined;

/** RLIMIT_AS in bytes ("Max address space" in /proc/self/limits); Infinity when unlimited or not known (other systems). */
export function addressSpaceLimit(): number {
  if (limit !== undefined) return limit;
  limit = Infinity;
  try {
    const m = /^Max address space\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (m) limit = Number(m[1]);
  } catch {
    // not Linux, or the runtime may not read it: no limit known
  }
  return limit;
}

/** Whether worker threads may be started here (see above). */
export function threadsAllowed(): boolean {
  return addressSpaceLimit() >= THREADS_MIN_BYTES;
}

const FLAG = '--disable-wasm-trap-handler';

/**
 * When a wasm memory cannot be reserved here and Node could do without the
 * reservation, runs this command again under FLAG and returns its exit status
 * (re-raising a signal that ended it); otherwise returns null, and the caller
 * runs the command itself.
 */
export function rerunForAddressSpace(): number | null {
  // Other runtimes (Bun, Deno) neither need nor take Node's flag.
  if (!process.versions.node || 'Bun' in globalThis || 'Deno' in globalThis) return null;
  if (process.execArgv.includes(FLAG)) return null;
  try {
    new WebAssembly.Memory({ initial: 1 }); // the reservation is made here, or fails (~60 µs)
    return null;
  } catch {
    // Fall through: the address space is too small for guard pages.
  }
  const r = builtin.childProcess().spawnSync(process.execPath, [FLAG, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) return null; // could not start: let the command report the failure itself
  if (r.signal) process.kill(process.pid, r.signal);
  return r.status ?? 128;
}

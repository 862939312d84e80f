// Running where the address space is limited (`ulimit -v`).
//
// Node's V8 checks wasm memory accesses with guard pages: each memory reserves
// about 10 GiB of address space up front (reserved, not used). Under a limit
// below that, no instance of the core can be made ("WebAssembly.instantiate():
// Out of memory"), where git runs. With Node's --disable-wasm-trap-handler V8
// compiles explicit bounds checks instead and reserves only what is used. The
// flag must be given when Node starts, so the command runs itself again with it.
import { spawnSync } from 'node:child_process';

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
  const r = spawnSync(process.execPath, [FLAG, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) return null; // could not start: let the command report the failure itself
  if (r.signal) process.kill(process.pid, r.signal);
  return r.status ?? 128;
}

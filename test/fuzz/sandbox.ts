// A core instance wrapped for fuzzing: buffers in linear memory fenced by guard
// bytes, traps and aborts turned into Failures, and status codes checked against
// the error ABI. Instances are recycled often (and after any failure) so that one
// input's damage cannot hide in the next input's result.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core, CoreError } from '../../host/core/instance.ts';

/** An invariant the core broke: a trap, a write outside a buffer, a wrong answer, a hang. */
export class Failure extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = 'Failure';
  }
}

/** Every E_* code of assembly/error.ts (read from it, so new codes count): anything else returned is a bug. */
export const KNOWN_CODES = new Set(
  [...readFileSync(fileURLToPath(new URL('../../assembly/error.ts', import.meta.url)), 'utf8').matchAll(/export const E_\w+: i32 = (-\d+);/g)].map((m) => Number(m[1])),
);

/** The core's own abort (an assertion inside the wasm): a crash, never an answer. */
class CoreAbort extends Error {}

const GUARD = 64;
const guardByte = (i: number) => (i * 167 + 0x5a) & 0xff;

interface Fence { ptr: number; len: number; what: string }

/** A buffer in linear memory with guard bytes on both sides. */
export interface Guarded {
  ptr: number;
  cap: number;
}

export class Sandbox {
  core!: Core;
  runs = 0;
  private fences: Fence[] = [];
  private frozen: { ptr: number; data: Uint8Array; what: string }[] = [];

  constructor(private readonly module: WebAssembly.Module, private readonly recycleEvery = 64, private readonly memoryLimit = 1 << 30) {
    this.fresh();
  }

  /** A new instance: what the next run sees is what a fresh process would see. */
  fresh(): void {
    let core!: Core;
    const imports = {
      host: {
        readAt: (s: number, o: bigint, d: number, n: number) => core.readAt(s, o, d, n),
        progress: () => {},
      },
      env: {
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new CoreAbort(`the core aborted (assertion at ${line}:${col})`);
        },
      },
    };
    const instance = new WebAssembly.Instance(this.module, imports);
    this.core = new Core(instance, (c) => (core = c));
    this.runs = 0;
    this.fences = [];
    this.frozen = [];
  }

  /** Call before each input. */
  begin(): void {
    if (++this.runs > this.recycleEvery || this.memoryBytes() > 256 << 20) this.fresh();
    this.fences = [];
    this.frozen = [];
  }

  memoryBytes(): number {
    return this.core.exports.memory.buffer.byteLength;
  }

  /** A buffer of `cap` bytes fenced by guards; contents undefined. */
  buffer(cap: number, what: string): Guarded {
    const raw = this.core.alloc(cap + 2 * GUARD);
    if (!raw) throw new Failure('harness', `alloc(${cap}) failed`);
    const ptr = raw + GUARD;
    this.fence(raw, GUARD, `before ${what}`);
    this.fence(ptr + cap, GUARD, `after ${what}`);
    return { ptr, cap };
  }

  /** Copies `data` into a fenced buffer the core must only read. */
  input(data: Uint8Array, what: string, slack = 0): Guarded {
    const g = this.buffer(data.length + slack, what);
    this.core.bytes(g.ptr, data.length).set(data);
    this.freeze(g.ptr, data.length + slack, what);
    return g;
  }

  /** Fills [ptr, ptr+len) with guard bytes, checked by verify(). */
  fence(ptr: number, len: number, what: string): void {
    const b = this.core.bytes(ptr, len);
    for (let i = 0; i < len; i++) b[i] = guardByte(i);
    this.fences.push({ ptr, len, what });
  }

  /** Records bytes that must not change (an input buffer). */
  freeze(ptr: number, len: number, what: string): void {
    this.frozen.push({ ptr, data: this.core.bytes(ptr, len).slice(), what });
  }

  /** Throws a Failure when any guard or frozen byte changed. */
  verify(): void {
    for (const f of this.fences) {
      const b = this.core.bytes(f.ptr, f.len);
      for (let i = 0; i < f.len; i++) {
        if (b[i] !== guardByte(i)) throw new Failure('out-of-bounds-write', `the core wrote ${f.what} (guard byte ${i} changed)`);
      }
    }
    for (const f of this.frozen) {
      const b = this.core.bytes(f.ptr, f.data.length);
      for (let i = 0; i < b.length; i++) {
        if (b[i] !== f.data[i]) throw new Failure('input-modified', `the core wrote into ${f.what} at byte ${i}`);
      }
    }
  }

  /** Drops the last `count` frozen regions (per-call input chunks). */
  unfreeze(count: number): void {
    this.frozen.length -= count;
  }

  /** Drops fences set for one call (windows that move from call to call). */
  unfence(count: number): void {
    this.fences.length -= count;
  }

  /** Runs a core call; traps, aborts and thrown host errors become Failures. */
  call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw asFailure(e, what);
    }
  }

  /** Checks a negative status against the error ABI and returns its message. */
  error(status: number, what: string): { code: number; message: string } {
    const e = this.core.exports;
    if (!KNOWN_CODES.has(status)) throw new Failure('bad-status', `${what} returned ${status}, not an E_* code`);
    if (e.errorCode() !== status) throw new Failure('bad-status', `${what} returned ${status} but errorCode() is ${e.errorCode()}`);
    const message = this.core.lastError(status).message;
    if (!message) throw new Failure('bad-status', `${what} returned ${status} with no message`);
    if (this.memoryBytes() > this.memoryLimit) throw new Failure('memory', `${what} grew memory to ${this.memoryBytes()} bytes`);
    return { code: status, message };
  }

  /** A CoreError thrown by a host wrapper is an answer; anything else is a failure. */
  answer(e: unknown, what: string): { code: number; message: string } {
    if (e instanceof CoreError && !(e.message.startsWith('wasm core aborted'))) {
      if (!KNOWN_CODES.has(e.code)) throw new Failure('bad-status', `${what} failed with code ${e.code}: ${e.message}`);
      if (!e.message) throw new Failure('bad-status', `${what} failed with code ${e.code} and no message`);
      return { code: e.code, message: e.message };
    }
    throw asFailure(e, what);
  }
}

export function asFailure(e: unknown, what: string): Failure {
  if (e instanceof Failure) return e;
  if (e instanceof WebAssembly.RuntimeError) return new Failure('trap', `${what}: wasm trap: ${e.message}`);
  if (e instanceof CoreAbort) return new Failure('abort', `${what}: ${e.message}`);
  if (e instanceof RangeError && /memory|allocation|Array buffer/i.test(e.message)) return new Failure('memory', `${what}: ${e.message}`);
  const err = e as Error;
  return new Failure('exception', `${what}: ${err?.name ?? 'error'}: ${err?.message ?? String(e)}`);
}

/** Error messages with their numbers taken out: a class of outcome, for coverage signatures. */
export function messageClass(message: string): string {
  return message.replace(/[0-9a-f]{40}/g, 'ID').replace(/\d+/g, '#').slice(0, 120);
}

/** log2 bucket of a size. */
export function bucket(n: number): number {
  return n <= 0 ? 0 : 1 + Math.floor(Math.log2(n));
}

// Loads the wasm core and gives the host a typed handle on it.
//
// The host never maps files: a Source copies bytes into linear memory when the
// core asks for them (host.readAt). This file knows nothing of packs or zlib;
// the typed wrappers for each capability live beside it (host/core/*.ts).
// Nothing here is Node-specific: wasm-file.ts finds the .wasm in any runtime.
import { compileWasm, type WasmInput } from './wasm-file.ts';

export interface Source {
  /** Copies bytes at `offset` into `dst`; returns how many were copied. */
  readAt(offset: number, dst: Uint8Array): number;
}

export type ProgressFn = (kind: number, done: number, total: number) => void;

export interface CoreExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  errorCode(): number;
  errorOffset(): bigint;
  errorMessagePtr(): number;
  errorMessageLen(): number;
  [name: string]: any;
}

/** A failure reported by the core: `code` is one of the E_* codes of docs/core-abi.md. */
export class CoreError extends Error {
  constructor(message: string, readonly code: number, readonly offset?: number) {
    super(message);
    this.name = 'CoreError';
  }
}

export class Core {
  readonly exports: CoreExports;
  private readonly sources = new Map<number, Source>();
  private nextSource = 1;
  onProgress: ProgressFn | null = null;

  constructor(instance: WebAssembly.Instance, bind: (core: Core) => void) {
    this.exports = instance.exports as unknown as CoreExports;
    bind(this);
  }

  /** A fresh view: memory.grow detaches the old buffer, so never keep one across calls. */
  bytes(ptr = 0, len?: number): Uint8Array {
    const buf = this.exports.memory.buffer;
    return new Uint8Array(buf, ptr, len ?? buf.byteLength - ptr);
  }

  alloc(size: number): number {
    return this.exports.alloc(size);
  }

  addSource(src: Source): number {
    const id = this.nextSource++;
    this.sources.set(id, src);
    return id;
  }

  removeSource(id: number): void {
    this.sources.delete(id);
  }

  /** Throws the core's last error when `status` is negative; returns it otherwise. */
  check(status: number): number {
    if (status >= 0) return status;
    throw this.lastError(status);
  }

  lastError(status = this.exports.errorCode()): CoreError {
    const e = this.exports;
    const msg = new TextDecoder().decode(this.bytes(e.errorMessagePtr(), e.errorMessageLen()));
    const off = e.errorOffset();
    const offset = off === 0xffffffffffffffffn ? undefined : Number(off);
    return new CoreError(msg || `core error ${status}`, status, offset);
  }

  /** Implements host.readAt for the core. */
  readAt(source: number, offset: bigint, dst: number, len: number): number {
    const src = this.sources.get(source);
    if (!src) return 0;
    return src.readAt(Number(offset), this.bytes(dst, len));
  }
}

let compiled: Promise<WebAssembly.Module> | null = null;

export interface LoadOptions {
  /**
   * The compiled core, or where to get it: a Module (e.g. one compilation shared
   * with workers), its bytes, a URL or a fetch Response. Without it the core is
   * found next to the package (file read in Node, Bun and Deno; fetch in browsers).
   */
  module?: WasmInput;
}

/** Compiles the core once per process (or takes the caller's) and returns the Module. */
export function compileCore(input?: WasmInput): Promise<WebAssembly.Module> {
  if (input !== undefined) return compileWasm(input);
  compiled ??= compileWasm();
  return compiled;
}

/** Instantiates a core with its own linear memory. Each worker gets its own. */
export async function loadCore(opts: LoadOptions = {}): Promise<Core> {
  const module = await compileCore(opts.module);
  let core!: Core;
  const imports = {
    host: {
      readAt: (s: number, o: bigint, d: number, n: number) => core.readAt(s, o, d, n),
      progress: (k: number, d: number, t: number) => core.onProgress?.(k, d, t),
    },
    env: {
      abort: (msg: number, file: number, line: number, col: number) => {
        throw new CoreError(`wasm core aborted at ${line}:${col}`, -1);
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  return new Core(instance, (c) => (core = c));
}

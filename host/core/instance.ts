// Loads the wasm core and gives the host a typed handle on it.
//
// The host never maps files: a Source copies bytes into linear memory when the
// core asks for them (host.readAt). This file knows nothing of packs or zlib;
// the typed wrappers for each capability live beside it (host/core/*.ts).

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

/** Where the compiled core lives: next to the package, whether run from source or from dist/. */
async function wasmBytes(): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  for (const rel of ['../build/wasmgit.wasm', '../../build/wasmgit.wasm', '../../../build/wasmgit.wasm']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return readFile(path);
  }
  throw new Error('wasmgit: build/wasmgit.wasm not found (run `npm run build`)');
}

export interface LoadOptions {
  /** The compiled core, for hosts without a filesystem (browsers) or to share one compilation. */
  module?: WebAssembly.Module;
}

export function compileCore(): Promise<WebAssembly.Module> {
  compiled ??= wasmBytes().then((b) => WebAssembly.compile(b as BufferSource));
  return compiled;
}

/** Instantiates a core with its own linear memory. Each worker gets its own. */
export async function loadCore(opts: LoadOptions = {}): Promise<Core> {
  const module = opts.module ?? (await compileCore());
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

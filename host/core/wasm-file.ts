// Finds and compiles the core's .wasm in whatever runtime imports wasmgit/core.
//
// One source for Node, Bun, Deno and browsers: the wasm sits at build/ beside
// dist/ (or beside host/ when run from source), located relative to this
// module's own URL. A file: URL is read from disk (Deno.readFile in Deno,
// node:fs elsewhere); any other URL is fetched. Node-only modules are imported
// dynamically and only on the file: path, so a browser never asks for them.

/** What a caller may hand over instead of letting the core find its wasm. */
export type WasmInput =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;

// The bundles live at dist/<name>.js and dist/<dir>/<name>.js; sources at
// host/<dir>/<name>.ts. Most specific (the wasmgit/core entry) first.
const CANDIDATES = ['../../build/', '../build/', '../../../build/'];

/**
 * Where build/ is for this module: known exactly when it is one of the
 * package's own bundles (dist/<name>.js, dist/<dir>/<name>.js) or this source
 * file; only a module bundled elsewhere guesses through CANDIDATES. (Guessing
 * first had dist/api.js take `../../build/`, outside the package, whenever a
 * folder of that name sat beside the package's folder.)
 */
function buildDirs(here: string): string[] {
  const own = /\/dist\/(?:[^/]+\/)?[^/]+\.js$/.exec(here) ?? /\/host\/core\/wasm-file\.ts$/.exec(here);
  if (own) return [`${here.slice(0, own.index)}/build/`];
  return CANDIDATES.map((d) => new URL(d, here).href);
}

/** Compiles the core from what the caller gave, or finds `file` (default wasmgit.wasm) next to the package. */
export async function compileWasm(input?: WasmInput, file = 'wasmgit.wasm'): Promise<WebAssembly.Module> {
  if (input instanceof WebAssembly.Module) return input;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return WebAssembly.compile(input as BufferSource);
  if (input !== undefined && isResponseLike(input)) return compileResponse(await input);
  if (input !== undefined) {
    const url = input instanceof URL ? input : new URL(input as string, baseUrl());
    const mod = await compileUrl(url);
    if (!mod) throw new Error(`wasmgit: cannot load the core from ${url.href}`);
    return mod;
  }
  const tried: string[] = [];
  for (const dir of buildDirs(import.meta.url)) {
    const url = new URL(file, dir);
    tried.push(url.href);
    const mod = await compileUrl(url);
    if (mod) return mod;
  }
  throw new Error(`wasmgit: build/${file} not found (run \`npm run build\`); looked at ${tried.join(', ')}`);
}

function baseUrl(): string {
  const loc = (globalThis as { location?: { href: string } }).location;
  return loc?.href ?? import.meta.url;
}

function isResponseLike(x: unknown): x is Response | PromiseLike<Response> {
  if (typeof x !== 'object' || x === null) return false;
  if (typeof (x as PromiseLike<unknown>).then === 'function') return true;
  return typeof Response !== 'undefined' && x instanceof Response;
}

async function compileResponse(res: Response): Promise<WebAssembly.Module> {
  if (!res.ok) throw new Error(`wasmgit: fetching the core failed: HTTP ${res.status} ${res.url}`);
  // Streaming compilation needs the right MIME type; fall back to bytes otherwise.
  if (typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/** Compiles the wasm at `url`, or returns null when there is none there. */
async function compileUrl(url: URL): Promise<WebAssembly.Module | null> {
  if (url.protocol === 'file:') {
    const bytes = await readFileUrl(url);
    return bytes && WebAssembly.compile(bytes as BufferSource);
  }
  const res = await fetch(url);
  if (res.status === 404) return null;
  return compileResponse(res);
}

interface DenoLike {
  readFile(path: URL): Promise<Uint8Array>;
  errors: { NotFound: new (...a: never[]) => Error };
}

async function readFileUrl(url: URL): Promise<Uint8Array | null> {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  try {
    if (deno) return await deno.readFile(url);
    // Node and Bun. The specifier is held in a variable so bundlers targeting
    // browsers leave this branch alone.
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
    return await fs.readFile(url);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || (deno && err instanceof deno.errors.NotFound)) return null;
    throw err;
  }
}

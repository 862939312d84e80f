// zlib inflate through the core (assembly/inflate.ts), with typed results.
//
// The core has one inflater per instance: starting a stream (inflate() or a new
// Inflater) takes it over, and an Inflater whose stream was taken over throws
// instead of mixing two streams.
import { Core, CoreError } from './instance.ts';

export const INFLATE_DONE = 1;
export const INFLATE_NEED_INPUT = 2;
export const INFLATE_NEED_OUTPUT = 3;
const E_TRUNCATED = -14;
const SIZE_UNKNOWN = 0xffffffffffffffffn;

export interface InflateOptions {
  /** The size the stream must inflate to (git entry headers declare it); more or less is an error. */
  expectedSize?: number;
  /** Feed the input in chunks of this many bytes (default: all at once). */
  chunkSize?: number;
  /** Let the core write output in windows of this many bytes (default: 64 KiB, or expectedSize). */
  outChunkSize?: number;
}

export interface InflateResult {
  output: Uint8Array;
  /** Input bytes the zlib stream used; bytes after its end are left alone. */
  consumed: number;
}

interface Buffers { inPtr: number; inCap: number; outPtr: number; outCap: number; owner: object | null }
const buffers = new WeakMap<Core, Buffers>();

function buffersOf(core: Core): Buffers {
  let b = buffers.get(core);
  if (!b) {
    b = { inPtr: 0, inCap: 0, outPtr: 0, outCap: 0, owner: null };
    buffers.set(core, b);
  }
  return b;
}

/** Staging buffers in linear memory, grown (never shrunk) on demand. */
function reserve(core: Core, b: Buffers, inLen: number, outLen: number): void {
  if (b.inCap < inLen) {
    b.inCap = Math.max(inLen, 64 * 1024, b.inCap * 2);
    b.inPtr = core.alloc(b.inCap);
  }
  if (b.outCap < outLen) {
    b.outCap = Math.max(outLen, 64 * 1024, b.outCap * 2);
    b.outPtr = core.alloc(b.outCap);
  }
}

function located(core: Core, status: number): CoreError {
  const e = core.lastError(status);
  const where = e.offset === undefined ? '' : ` (input offset ${e.offset})`;
  return new CoreError(e.message + where, e.code, e.offset);
}

function truncated(offset: number): CoreError {
  return new CoreError(`zlib: stream truncated: input ended at offset ${offset} before the end of the stream`, E_TRUNCATED, offset);
}

/** Inflates one zlib stream from `data` (which may continue past the stream's end). */
export function inflate(core: Core, data: Uint8Array, opts: InflateOptions = {}): InflateResult {
  const { expectedSize, chunkSize, outChunkSize } = opts;
  if (expectedSize !== undefined && chunkSize === undefined && outChunkSize === undefined) {
    // Whole in, whole out: the one-shot entry, no window bookkeeping.
    const b = buffersOf(core);
    b.owner = null;
    reserve(core, b, data.length, expectedSize);
    core.bytes(b.inPtr, data.length).set(data);
    const r = core.exports.inflateWhole(b.inPtr, data.length, b.outPtr, expectedSize);
    if (r < 0) throw located(core, r);
    return { output: core.bytes(b.outPtr, expectedSize).slice(), consumed: r };
  }
  const inf = new Inflater(core, { expectedSize, outChunkSize });
  const parts: Uint8Array[] = [];
  const step = Math.max(1, chunkSize ?? data.length);
  let pos = 0;
  do {
    const chunk = data.subarray(pos, Math.min(data.length, pos + step));
    const r = inf.push(chunk);
    parts.push(...r.output);
    pos += r.consumed;
    if (r.done) break;
  } while (pos < data.length);
  inf.end();
  return { output: concat(parts, inf.totalOut), consumed: pos };
}

export interface PushResult {
  /** Output produced by this push, in order (copies, safe to keep). */
  output: Uint8Array[];
  /** Bytes of the chunk used: all of it, unless the stream ended inside it. */
  consumed: number;
  done: boolean;
}

/** A zlib stream inflated as its input arrives. */
export class Inflater {
  done = false;
  totalIn = 0;
  totalOut = 0;
  private readonly b: Buffers;
  private readonly token = {};
  private readonly outChunk: number;

  constructor(private readonly core: Core, opts: { expectedSize?: number; outChunkSize?: number } = {}) {
    this.b = buffersOf(core);
    this.b.owner = this.token;
    this.outChunk = Math.max(1, opts.outChunkSize ?? Math.min(opts.expectedSize || 64 * 1024, 1 << 20));
    core.exports.inflateInit(opts.expectedSize === undefined ? SIZE_UNKNOWN : BigInt(opts.expectedSize));
  }

  push(chunk: Uint8Array): PushResult {
    const { core, b } = this;
    if (b.owner !== this.token) throw new Error('wasmgit: another inflate stream was started on this core');
    const output: Uint8Array[] = [];
    if (this.done) return { output, consumed: 0, done: true };
    reserve(core, b, chunk.length, this.outChunk);
    core.bytes(b.inPtr, chunk.length).set(chunk);
    const e = core.exports;
    let pos = 0;
    for (;;) {
      const status = e.inflateStep(b.inPtr + pos, chunk.length - pos, b.outPtr, this.outChunk);
      if (status < 0) throw located(core, status);
      const used = e.inflateConsumed();
      const made = e.inflateProduced();
      pos += used;
      this.totalIn += used;
      if (made > 0) {
        output.push(core.bytes(b.outPtr, made).slice());
        this.totalOut += made;
      }
      if (status === INFLATE_DONE) {
        this.done = true;
        break;
      }
      if (status === INFLATE_NEED_INPUT) break;
      // INFLATE_NEED_OUTPUT: the window is full, go round with a fresh one.
    }
    return { output, consumed: pos, done: this.done };
  }

  /** Declares the end of input: throws when the stream has not ended. */
  end(): void {
    if (!this.done) throw truncated(this.totalIn);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Typed wrappers for the core's hashes: SHA-1 (with SHA-1DC collision detection,
// as git computes object ids), SHA-256 and CRC-32. See docs/core-abi.md.
//
// The core never reads host memory: input is copied into a staging buffer in
// linear memory, a chunk at a time, so hashing any size needs no large buffer.
import type { Core } from './instance.ts';

const E_SHA1_COLLISION = -20;
const STAGING = 1 << 20;

export interface Sha1Result {
  /** Lower-case hex digest. */
  hex: string;
  bytes: Uint8Array;
  /** SHA-1DC saw a collision attack; the digest is then the detector's "safe hash", not plain SHA-1. */
  collision: boolean;
}

export interface Sha1Options {
  /** Collision detection (SHA-1DC), as git uses for object ids. Default true. */
  detect?: boolean;
}

/** Per-core buffers: the stub allocator never frees, so allocate once and reuse. */
interface Scratch { staging: number; out: number; sha1Free: number[]; sha256Free: number[] }
const scratch = new WeakMap<Core, Scratch>();

function scratchOf(core: Core): Scratch {
  let s = scratch.get(core);
  if (!s) {
    const staging = core.alloc(STAGING);
    const out = core.alloc(32);
    s = { staging, out, sha1Free: [], sha256Free: [] };
    scratch.set(core, s);
  }
  return s;
}

/** Feeds `bytes` to `fn(ptr, len)` through the staging buffer. */
function feed(core: Core, bytes: Uint8Array, fn: (ptr: number, len: number) => void): void {
  const { staging } = scratchOf(core);
  for (let off = 0; off < bytes.length || off === 0; off += STAGING) {
    const chunk = bytes.subarray(off, off + STAGING);
    core.bytes(staging, chunk.length).set(chunk);
    fn(staging, chunk.length);
    if (bytes.length === 0) break;
  }
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Streaming SHA-1: `update()` any number of times, then `digest()` once. */
export class Sha1 {
  private ctx: number;
  private done = false;

  constructor(private readonly core: Core, opts: Sha1Options = {}) {
    const s = scratchOf(core);
    this.ctx = s.sha1Free.pop() ?? core.alloc(core.exports.sha1CtxSize());
    core.exports.sha1Init(this.ctx, opts.detect ?? true ? 1 : 0);
  }

  update(bytes: Uint8Array): this {
    if (this.done) throw new Error('Sha1.update() after digest()');
    feed(this.core, bytes, (p, n) => this.core.exports.sha1Update(this.ctx, p, n));
    return this;
  }

  digest(): Sha1Result {
    if (this.done) throw new Error('Sha1.digest() called twice');
    this.done = true;
    const s = scratchOf(this.core);
    const status = this.core.exports.sha1Final(this.ctx, s.out);
    if (status !== 0 && status !== E_SHA1_COLLISION) throw this.core.lastError(status);
    s.sha1Free.push(this.ctx);
    const bytes = this.core.bytes(s.out, 20).slice();
    return { hex: toHex(bytes), bytes, collision: status === E_SHA1_COLLISION };
  }
}

/** SHA-1 of `bytes`; with detection on (the default) this is git's SHA-1DC. */
export function sha1(core: Core, bytes: Uint8Array, opts: Sha1Options = {}): Sha1Result {
  return new Sha1(core, opts).update(bytes).digest();
}

/** Streaming SHA-256. */
export class Sha256 {
  private ctx: number;
  private done = false;

  constructor(private readonly core: Core) {
    const s = scratchOf(core);
    this.ctx = s.sha256Free.pop() ?? core.alloc(core.exports.sha256CtxSize());
    core.exports.sha256Init(this.ctx);
  }

  update(bytes: Uint8Array): this {
    if (this.done) throw new Error('Sha256.update() after digest()');
    feed(this.core, bytes, (p, n) => this.core.exports.sha256Update(this.ctx, p, n));
    return this;
  }

  digest(): { hex: string; bytes: Uint8Array } {
    if (this.done) throw new Error('Sha256.digest() called twice');
    this.done = true;
    const s = scratchOf(this.core);
    this.core.exports.sha256Final(this.ctx, s.out);
    s.sha256Free.push(this.ctx);
    const bytes = this.core.bytes(s.out, 32).slice();
    return { hex: toHex(bytes), bytes };
  }
}

/** SHA-256 of `bytes`. */
export function sha256(core: Core, bytes: Uint8Array): { hex: string; bytes: Uint8Array } {
  return new Sha256(core).update(bytes).digest();
}

/** CRC-32 as zlib's crc32(); pass a previous result as `crc` to continue it. */
export function crc32(core: Core, bytes: Uint8Array, crc = 0): number {
  feed(core, bytes, (p, n) => { crc = core.exports.crc32Update(crc, p, n) >>> 0; });
  return crc;
}

// What the local transport asks of the wasm core: zlib inflation (loose objects),
// Adler-32 (for the zlib streams it writes) and plain SHA-1 (the pack trailer),
// through the core's ABI (docs/core-abi.md) with fixed windows allocated once.
// Packed objects and entry headers come from the core's pack reader on the same
// instance (`core`, through host/core/objects.ts). The host itself parses no
// zlib, delta or pack entry data.

import { loadCore, type Core } from '../core/instance.ts';
import { PackCore } from '../core/pack.ts';

const INFLATE_DONE = 1;
const INFLATE_NEED_INPUT = 2;
const INFLATE_NEED_OUTPUT = 3;
export const WINDOW = 256 * 1024;

export class LocalCore {
  private readonly inPtr: number;
  private readonly outPtr: number;
  private readonly stagePtr: number; // for hashing, apart from the inflate windows
  private readonly shaCtx: number;
  private readonly digestPtr: number;

  private constructor(readonly core: Core) {
    this.inPtr = core.alloc(WINDOW);
    this.outPtr = core.alloc(WINDOW);
    this.stagePtr = core.alloc(WINDOW);
    this.shaCtx = core.alloc(core.exports.sha1CtxSize());
    this.digestPtr = core.alloc(32);
  }

  static async load(): Promise<LocalCore> {
    return new LocalCore(await loadCore());
  }

  /**
   * Inflates one zlib stream read through `read(dst)` (which fills dst and returns
   * the count, 0 at the end), handing each output piece to `onOutput` while it is
   * still in linear memory at (ptr, len); awaiting it holds the inflater (the
   * core has one) until the consumer is ready, and resolving it to `false` stops
   * early (to read just an object's header). Returns the compressed bytes consumed.
   */
  async inflate(
    read: (dst: Uint8Array) => number,
    onOutput: (ptr: number, len: number) => void | boolean | Promise<void | boolean>,
    expectedSize?: number,
  ): Promise<number> {
    const e = this.core.exports;
    e.inflateInit(expectedSize === undefined ? 0xffffffffffffffffn : BigInt(expectedSize));
    let inLen = 0;
    let inOff = 0;
    let consumed = 0;
    let eof = false;
    for (;;) {
      if (inOff === inLen && !eof) {
        inLen = read(this.core.bytes(this.inPtr, WINDOW));
        inOff = 0;
        if (inLen === 0) eof = true;
      }
      const status = e.inflateStep(this.inPtr + inOff, inLen - inOff, this.outPtr, WINDOW);
      this.core.check(status);
      const used = e.inflateConsumed();
      const made = e.inflateProduced();
      inOff += used;
      consumed += used;
      if (made > 0 && (await onOutput(this.outPtr, made)) === false) return consumed;
      if (status === INFLATE_DONE) return consumed;
      if (status === INFLATE_NEED_INPUT && eof) throw new Error('zlib stream truncated');
      if (status !== INFLATE_NEED_INPUT && status !== INFLATE_NEED_OUTPUT) throw new Error(`unexpected inflate status ${status}`);
    }
  }

  private pack: PackCore | null = null;

  /**
   * Object `data` of type `type` (1-4) as a whole pack entry: its header, then
   * its content as a zlib stream at level 1, built by the core (as index-pack
   * --fix-thin builds the entries it appends); copied out.
   */
  wholeEntry(type: number, data: Uint8Array): Uint8Array {
    this.pack ??= new PackCore(this.core);
    return this.pack.thinEntry(type, data, 1);
  }

  /** Adler-32 of linear memory at (ptr, len), continuing from `adler` (start with 1). */
  adler32(adler: number, ptr: number, len: number): number {
    return this.core.exports.adler32Update(adler, ptr, len) >>> 0;
  }

  /** Starts the plain SHA-1 (no collision detection: it is a checksum, not an object id) of a pack stream. */
  sha1Start(): void {
    this.core.exports.sha1Init(this.shaCtx, 0);
  }

  sha1Update(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; off += WINDOW) {
      const piece = bytes.subarray(off, off + WINDOW);
      this.core.bytes(this.stagePtr, piece.length).set(piece);
      this.core.exports.sha1Update(this.shaCtx, this.stagePtr, piece.length);
    }
  }

  sha1Digest(): Uint8Array {
    const status = this.core.exports.sha1Final(this.shaCtx, this.digestPtr);
    if (status < 0 && status !== -20) throw this.core.lastError(status);
    return this.core.bytes(this.digestPtr, 20).slice();
  }
}

// Hand-built deflate streams (RFC 1951), for inputs no compressor would write:
// over-subscribed or incomplete codes, bad repeats, distances too far back.

export class BitWriter {
  private readonly out: number[] = [];
  private cur = 0;
  private n = 0;

  /** Writes `count` bits of `value`, least significant first (RFC 1951 section 3.1.1). */
  bits(value: number, count: number): this {
    for (let i = 0; i < count; i++) {
      this.cur |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) this.flush();
    }
    return this;
  }

  /** Writes a Huffman code, most significant bit first. */
  code(code: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.bits((code >>> i) & 1, 1);
    return this;
  }

  align(): this {
    if (this.n) this.flush();
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    this.align();
    for (let i = 0; i < b.length; i++) this.out.push(b[i]);
    return this;
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.out);
  }

  private flush(): void {
    this.out.push(this.cur);
    this.cur = 0;
    this.n = 0;
  }
}

/** Canonical codes for code lengths (RFC 1951 section 3.2.2). Lengths may be over-subscribed. */
export function canonical(lens: number[]): number[] {
  const count = new Array(16).fill(0);
  for (const l of lens) if (l) count[l]++;
  const next = new Array(16).fill(0);
  let code = 0;
  for (let bits = 1; bits < 16; bits++) {
    code = (code + count[bits - 1]) << 1;
    next[bits] = code;
  }
  return lens.map((l) => (l ? next[l]++ : 0));
}

const PRE_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

export interface DynamicHeader {
  litLens: number[];
  distLens: number[];
  /** Code length code lengths by symbol (default: 0..15 of length 4, a complete code). */
  preLens?: number[];
  /** Code length symbols to send instead of one per length: [symbol, extra bits value][]. */
  preSymbols?: [number, number][];
  final?: boolean;
}

/** Writes a dynamic block header; returns the literal/length and distance codes for the body. */
export function dynamicHeader(w: BitWriter, h: DynamicHeader): { lit: number[]; dist: number[] } {
  const preLens = h.preLens ?? [...new Array(16).fill(4), 0, 0, 0];
  w.bits(h.final === false ? 0 : 1, 1).bits(2, 2);
  w.bits(h.litLens.length - 257, 5).bits(h.distLens.length - 1, 5).bits(19 - 4, 4);
  for (const s of PRE_ORDER) w.bits(preLens[s] ?? 0, 3);
  const pre = canonical(preLens);
  const symbols = h.preSymbols ?? [...h.litLens, ...h.distLens].map((l) => [l, 0] as [number, number]);
  for (const [sym, extra] of symbols) {
    w.code(pre[sym], preLens[sym]);
    if (sym === 16) w.bits(extra, 2);
    if (sym === 17) w.bits(extra, 3);
    if (sym === 18) w.bits(extra, 7);
  }
  return { lit: canonical(h.litLens), dist: canonical(h.distLens) };
}

/** The fixed literal/length code (RFC 1951 section 3.2.6). */
export function fixedLitCode(sym: number): [number, number] {
  if (sym < 144) return [0x30 + sym, 8];
  if (sym < 256) return [0x190 + sym - 144, 9];
  if (sym < 280) return [sym - 256, 7];
  return [0xc0 + sym - 280, 8];
}

export function adler32(b: Uint8Array): number {
  let s1 = 1, s2 = 0;
  for (const x of b) {
    s1 = (s1 + x) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/** Wraps deflate data in a zlib container (RFC 1950) whose Adler-32 is that of `content`. */
export function zlibWrap(deflate: Uint8Array, content: Uint8Array = new Uint8Array(0)): Uint8Array {
  const a = adler32(content);
  return Uint8Array.from([0x78, 0x9c, ...deflate, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]);
}

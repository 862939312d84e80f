// Deterministic test data for the inflate suites: each kind stresses a
// different part of a deflate stream (literals, short and long matches, the
// 32 KiB window's far end, stored blocks from incompressible input).

/** xorshift32: the same bytes on every run and machine. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r() & 0xff;
  return out;
}

const WORDS = ('the of and to in is that for it as with was on be by this are or from at which but not have an they ' +
  'commit tree blob parent author committer pack index delta object return function const let while if else').split(' ');

/** Text-like data: lines of words and numbers, like source files and commit messages. */
export function text(n: number, seed = 2): Uint8Array {
  const r = rng(seed);
  let s = '';
  while (s.length < n) {
    const words = 3 + (r() % 10);
    let line = ' '.repeat((r() % 4) * 2);
    for (let i = 0; i < words; i++) line += (r() % 7 === 0 ? String(r() % 10000) : WORDS[r() % WORDS.length]) + ' ';
    s += line + '\n';
  }
  return new TextEncoder().encode(s.slice(0, n));
}

/** Long runs of one byte (distance-1 matches of length 258). */
export function runs(n: number, seed = 3): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const len = 1 + (r() % 2000);
    out.fill(r() & 0xff, i, Math.min(n, i + len));
    i += len;
  }
  return out;
}

/** A random 32 KiB block repeated: every match is at distance exactly 32768. */
export function farMatches(n: number, seed = 4): Uint8Array {
  const block = randomBytes(32768, seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 32768) out.set(block.subarray(0, Math.min(32768, n - i)), i);
  return out;
}

/** Short repeating patterns of period 2..15 (small-distance overlapping copies). */
export function periodic(n: number, seed = 5): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const period = 2 + (r() % 14);
    const len = 20 + (r() % 600);
    for (let j = 0; j < period && i + j < n; j++) out[i + j] = r() & 0xff;
    for (let j = period; j < len && i + j < n; j++) out[i + j] = out[i + j - period];
    i += len;
  }
  return out;
}

/** All of the above, interleaved in pieces: many blocks of changing character. */
export function mixed(n: number, seed = 6): Uint8Array {
  const r = rng(seed);
  const kinds = [text, randomBytes, runs, farMatches, periodic];
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const len = Math.min(n - i, 1000 + (r() % 70000));
    out.set(kinds[r() % kinds.length](len, r()), i);
    i += len;
  }
  return out;
}

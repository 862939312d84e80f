// The order `--sort=version:refname` gives: git's versioncmp(), which is the
// C library's strverscmp() plus versionsort.suffix (below). Strings compare
// byte by byte, except inside runs of digits: an integer run compares as a
// number ("v1.10" after "v1.9"), and a run starting with '0' is a fraction
// compared digit by digit, with more leading zeros sorting first ("1.001"
// before "1.01" before "1.1").
//
// Written as strverscmp's scanner: a state (plain text, integer part,
// fraction, leading zeros) advanced by the class of each shared byte; at the
// first difference the state and the two bytes' classes pick the rule.

const enum Cls { Other = 0, Digit = 1, Zero = 2 }
const enum St { Text = 0, Int = 1, Frac = 2, Zeros = 3 }

function cls(c: number): Cls {
  return c === 0x30 ? Cls.Zero : c > 0x30 && c <= 0x39 ? Cls.Digit : Cls.Other;
}

// NEXT[state][class of the byte just shared]
const NEXT: St[][] = [
  [St.Text, St.Int, St.Zeros],
  [St.Text, St.Int, St.Int],
  [St.Text, St.Frac, St.Frac],
  [St.Text, St.Frac, St.Zeros],
];

// What decides at the first differing bytes, by state, then class of a's byte × b's:
// 'cmp' = byte order, 'len' = the longer run of digits wins, else a fixed sign.
type Rule = 'cmp' | 'len' | -1 | 1;
const RULE: Rule[][] = [
  ['cmp', 'cmp', 'cmp', 'cmp', 'len', 'cmp', 'cmp', 'cmp', 'cmp'],
  ['cmp', -1, -1, 1, 'len', 'len', 1, 'len', 'len'],
  ['cmp', 'cmp', 'cmp', 'cmp', 'cmp', 'cmp', 'cmp', 'cmp', 'cmp'],
  ['cmp', 1, 1, -1, 'cmp', 'cmp', -1, 'cmp', 'cmp'],
];

/**
 * versionsort.suffix (git-config(1)): at the first differing byte, a name in
 * which one of the configured suffixes covers that byte, or ends just before
 * it, sorts before one in which none does ("v1.0-rc1" before "v1.0"); two
 * names with different suffixes there sort in the order the suffixes are
 * configured. Per name the suffix that counts is the one starting earliest,
 * the longest of those at the same place. Returns 0 when the suffixes do not
 * decide (none found, or the same one in both).
 */
function suffixOrder(x: Buffer, y: Buffer, at: number, suffixes: Buffer[]): number {
  const best = (s: Buffer): number => {
    let conf = -1;
    let start = at;
    let len = -1;
    suffixes.forEach((suffix, k) => {
      // Only a match starting earlier than the one held, or as early and longer, replaces it.
      const last = len < suffix.length ? start : start - 1;
      for (let p = Math.max(0, at - suffix.length); p <= last; p++) {
        if (p + suffix.length <= s.length && s.subarray(p, p + suffix.length).equals(suffix)) {
          conf = k;
          start = p;
          len = suffix.length;
          break;
        }
      }
    });
    return conf;
  };
  const cx = best(x);
  const cy = best(y);
  if (cx === cy) return 0;
  if (cx >= 0 && cy >= 0) return cx - cy;
  return cx >= 0 ? -1 : 1;
}

/** The suffixes as bytes, made once per list: a sort compares thousands of pairs with the same one. */
const suffixCache = new WeakMap<readonly string[], Buffer[]>();
function suffixBytes(suffixes: readonly string[]): Buffer[] {
  let bytes = suffixCache.get(suffixes);
  if (!bytes) suffixCache.set(suffixes, (bytes = suffixes.map((s) => Buffer.from(s))));
  return bytes;
}

/**
 * <0, 0 or >0 as `a` sorts before, with or after `b` in version order;
 * `suffixes` are versionsort.suffix's values, in configuration order.
 */
export function versionCompare(a: string, b: string, suffixes: string[] = []): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  let i = 0;
  let state = St.Text;
  for (;;) {
    const cx = i < x.length ? x[i] : 0;
    const cy = i < y.length ? y[i] : 0;
    if (cx !== cy) {
      if (suffixes.length) {
        const bySuffix = suffixOrder(x, y, i, suffixBytes(suffixes));
        if (bySuffix !== 0) return bySuffix;
      }
      const rule = RULE[state][cls(cx) * 3 + cls(cy)];
      if (rule === 'cmp') return cx - cy;
      if (rule !== 'len') return rule;
      // Count on through the digits after the difference: the longer number is larger.
      for (let j = i + 1; ; j++) {
        const mx = j < x.length && cls(x[j]) !== Cls.Other;
        const my = j < y.length && cls(y[j]) !== Cls.Other;
        if (mx && !my) return 1;
        if (!mx) return my ? -1 : cx - cy;
      }
    }
    if (cx === 0) return 0;
    state = NEXT[state][cls(cx)];
    i++;
  }
}

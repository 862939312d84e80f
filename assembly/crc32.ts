// CRC-32 as zlib computes it (ISO-HDLC: reflected polynomial 0xEDB88320, initial
// and final XOR 0xFFFFFFFF). Pack index v2 stores it for every packed entry.
//
// Slice-by-16: 16 tables of 256 entries (16 KiB in static memory). Table k maps
// a byte to the CRC contribution of that byte followed by k zero bytes, so 16
// input bytes fold into the CRC with 16 independent lookups per iteration
// instead of 16 dependent ones.

const TABLES = memory.data(16 * 256 * 4);

@inline function table(k: usize, i: u32): u32 { // for building the tables
  return load<u32>(TABLES + (k << 10) + (<usize>i << 2));
}

function buildTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(TABLES + (<usize>n << 2), c);
  }
  for (let k: usize = 1; k < 16; k++) {
    for (let n: u32 = 0; n < 256; n++) {
      let prev = table(k - 1, n);
      store<u32>(TABLES + (k << 10) + (<usize>n << 2), (prev >>> 8) ^ table(0, prev & 0xff));
    }
  }
}
buildTables();

// Table k as a constant base, so a lookup compiles to index + load with offset.
const T0: usize = TABLES + 0;
const T1: usize = TABLES + 1024;
const T2: usize = TABLES + 2048;
const T3: usize = TABLES + 3072;
const T4: usize = TABLES + 4096;
const T5: usize = TABLES + 5120;
const T6: usize = TABLES + 6144;
const T7: usize = TABLES + 7168;
const T8: usize = TABLES + 8192;
const T9: usize = TABLES + 9216;
const T10: usize = TABLES + 10240;
const T11: usize = TABLES + 11264;
const T12: usize = TABLES + 12288;
const T13: usize = TABLES + 13312;
const T14: usize = TABLES + 14336;
const T15: usize = TABLES + 15360;

// Byte k of x times 4 (its entry's offset in a table), in two operations:
// shift so the byte lands at bits 2..9, then mask, instead of shift, mask, shift.
@inline function i0(x: u32): usize { return <usize>((x << 2) & 0x3fc); }
@inline function i1(x: u32): usize { return <usize>((x >>> 6) & 0x3fc); }
@inline function i2(x: u32): usize { return <usize>((x >>> 14) & 0x3fc); }
@inline function i3(x: u32): usize { return <usize>((x >>> 22) & 0x3fc); }

/**
 * Continues CRC `crc` (0 to start) over `len` bytes at `ptr`: crc32Update(0, p, n)
 * equals zlib's crc32(0, p, n), and crc32Update(crc32Update(0, a, n), b, m) is the
 * CRC of a followed by b. `ptr` may have any alignment.
 */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let end = ptr + len;
  // The lookups of the last 12 bytes do not depend on the running CRC: they are
  // combined first, so each iteration's critical path is 4 lookups + 3 XORs.
  while (end - ptr >= 16) {
    let b = load<u32>(ptr, 4), d = load<u32>(ptr, 8), e = load<u32>(ptr, 12);
    let rest = ((load<u32>(i0(b), T11) ^ load<u32>(i1(b), T10)) ^ (load<u32>(i2(b), T9) ^ load<u32>(i3(b), T8))) ^
        (((load<u32>(i0(d), T7) ^ load<u32>(i1(d), T6)) ^ (load<u32>(i2(d), T5) ^ load<u32>(i3(d), T4))) ^
        ((load<u32>(i0(e), T3) ^ load<u32>(i1(e), T2)) ^ (load<u32>(i2(e), T1) ^ load<u32>(i3(e), T0))));
    let a = load<u32>(ptr) ^ c;
    c = ((load<u32>(i0(a), T15) ^ load<u32>(i1(a), T14)) ^ (load<u32>(i2(a), T13) ^ load<u32>(i3(a), T12))) ^ rest;
    ptr += 16;
  }
  if (end - ptr >= 8) {
    let a = load<u32>(ptr) ^ c, b = load<u32>(ptr, 4);
    c = ((load<u32>(i0(a), T7) ^ load<u32>(i1(a), T6)) ^ (load<u32>(i2(a), T5) ^ load<u32>(i3(a), T4))) ^
        ((load<u32>(i0(b), T3) ^ load<u32>(i1(b), T2)) ^ (load<u32>(i2(b), T1) ^ load<u32>(i3(b), T0)));
    ptr += 8;
  }
  if (end - ptr >= 4) {
    let a = load<u32>(ptr) ^ c;
    c = (load<u32>(i0(a), T3) ^ load<u32>(i1(a), T2)) ^ (load<u32>(i2(a), T1) ^ load<u32>(i3(a), T0));
    ptr += 4;
  }
  while (ptr < end) {
    c = load<u32>(i0(c ^ <u32>load<u8>(ptr)), T0) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}

/**
 * CRC-32 of each of `count` entries laid out at `base`: entry i is the bytes
 * [offsets[i], offsets[i + 1]) from `base`, with `offsets` an array of
 * count + 1 u32 in ascending order (a pack's entry offsets, the pack trailer's
 * offset last). Writes count u32 to `out`. This is what checking a pack index's
 * CRC column costs, one call instead of one per entry.
 */
export function crc32Entries(base: usize, offsets: usize, count: usize, out: usize): void {
  let start = load<u32>(offsets);
  for (let i: usize = 0; i < count; i++) {
    let next = load<u32>(offsets + ((i + 1) << 2));
    store<u32>(out + (i << 2), crc32Update(0, base + <usize>start, <usize>(next - start)));
    start = next;
  }
}

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

// Table k as a constant base, so a lookup compiles to shift + load with offset.
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
    let b = <usize>load<u32>(ptr, 4), d = <usize>load<u32>(ptr, 8), e = <usize>load<u32>(ptr, 12);
    let rest = ((load<u32>((b & 0xff) << 2, T11) ^ load<u32>(((b >>> 8) & 0xff) << 2, T10)) ^
        (load<u32>(((b >>> 16) & 0xff) << 2, T9) ^ load<u32>((b >>> 24) << 2, T8))) ^
        (((load<u32>((d & 0xff) << 2, T7) ^ load<u32>(((d >>> 8) & 0xff) << 2, T6)) ^
        (load<u32>(((d >>> 16) & 0xff) << 2, T5) ^ load<u32>((d >>> 24) << 2, T4))) ^
        ((load<u32>((e & 0xff) << 2, T3) ^ load<u32>(((e >>> 8) & 0xff) << 2, T2)) ^
        (load<u32>(((e >>> 16) & 0xff) << 2, T1) ^ load<u32>((e >>> 24) << 2, T0))));
    let a = <usize>(load<u32>(ptr) ^ c);
    c = ((load<u32>((a & 0xff) << 2, T15) ^ load<u32>(((a >>> 8) & 0xff) << 2, T14)) ^
        (load<u32>(((a >>> 16) & 0xff) << 2, T13) ^ load<u32>((a >>> 24) << 2, T12))) ^ rest;
    ptr += 16;
  }
  if (end - ptr >= 8) {
    let a = <usize>(load<u32>(ptr) ^ c), b = <usize>load<u32>(ptr, 4);
    c = ((load<u32>((a & 0xff) << 2, T7) ^ load<u32>(((a >>> 8) & 0xff) << 2, T6)) ^
        (load<u32>(((a >>> 16) & 0xff) << 2, T5) ^ load<u32>((a >>> 24) << 2, T4))) ^
        ((load<u32>((b & 0xff) << 2, T3) ^ load<u32>(((b >>> 8) & 0xff) << 2, T2)) ^
        (load<u32>(((b >>> 16) & 0xff) << 2, T1) ^ load<u32>((b >>> 24) << 2, T0)));
    ptr += 8;
  }
  if (end - ptr >= 4) {
    let a = <usize>(load<u32>(ptr) ^ c);
    c = (load<u32>((a & 0xff) << 2, T3) ^ load<u32>(((a >>> 8) & 0xff) << 2, T2)) ^
        (load<u32>(((a >>> 16) & 0xff) << 2, T1) ^ load<u32>((a >>> 24) << 2, T0));
    ptr += 4;
  }
  while (ptr < end) {
    c = load<u32>(<usize>((c ^ <u32>load<u8>(ptr)) & 0xff) << 2, T0) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}

// CRC-32 as zlib computes it (ISO-HDLC: reflected polynomial 0xEDB88320, initial
// and final XOR 0xFFFFFFFF). Pack index v2 stores it for every packed entry.
//
// Slice-by-16: 16 tables of 256 entries (16 KiB in static memory). Table k maps
// a byte to the CRC contribution of that byte followed by k zero bytes, so 16
// input bytes fold into the CRC with 16 independent lookups per iteration
// instead of 16 dependent ones.

const TABLES = memory.data(16 * 256 * 4);

@inline function table(k: usize, i: u32): u32 {
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

/**
 * Continues CRC `crc` (0 to start) over `len` bytes at `ptr`: crc32Update(0, p, n)
 * equals zlib's crc32(0, p, n), and crc32Update(crc32Update(0, a, n), b, m) is the
 * CRC of a followed by b. `ptr` may have any alignment.
 */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let end = ptr + len;
  while (end - ptr >= 16) {
    let a = load<u32>(ptr) ^ c;
    let b = load<u32>(ptr, 4);
    let d = load<u32>(ptr, 8);
    let e = load<u32>(ptr, 12);
    c = table(15, a & 0xff) ^ table(14, (a >>> 8) & 0xff) ^ table(13, (a >>> 16) & 0xff) ^ table(12, a >>> 24) ^
        table(11, b & 0xff) ^ table(10, (b >>> 8) & 0xff) ^ table(9, (b >>> 16) & 0xff) ^ table(8, b >>> 24) ^
        table(7, d & 0xff) ^ table(6, (d >>> 8) & 0xff) ^ table(5, (d >>> 16) & 0xff) ^ table(4, d >>> 24) ^
        table(3, e & 0xff) ^ table(2, (e >>> 8) & 0xff) ^ table(1, (e >>> 16) & 0xff) ^ table(0, e >>> 24);
    ptr += 16;
  }
  while (ptr < end) {
    c = table(0, (c ^ <u32>load<u8>(ptr)) & 0xff) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}

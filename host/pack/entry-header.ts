// A pack entry's header as a writer emits it (gitformat-pack, "object
// entries"): the type in bits 4-6 of the first byte, the size in its low 4
// bits and then 7 bits per byte, little-endian, with the high bit set on every
// byte but the last.

export function entryHeader(type: number, size: number): Uint8Array {
  const out: number[] = [];
  let b = (type << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out.push(b | 0x80);
    b = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  out.push(b);
  return Uint8Array.from(out);
}

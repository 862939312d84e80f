// Object ids: SHA-1 (with collision detection, as git computes them) of
// "<type> <size>\0" followed by the object's content.

import { E_SIZE_MISMATCH, errorMessageLen, errorMessagePtr, errorOffset } from "../error";
import { sha1Init, sha1Update } from "../sha1";

// "commit", "tree", "blob", "tag" for types 1-4, as bytes, so the header is built
// without strings.
const NAMES = memory.data<u8>([
  0x63, 0x6f, 0x6d, 0x6d, 0x69, 0x74, 0, 0, // commit
  0x74, 0x72, 0x65, 0x65, 0, 0, 0, 0,       // tree
  0x62, 0x6c, 0x6f, 0x62, 0, 0, 0, 0,       // blob
  0x74, 0x61, 0x67, 0, 0, 0, 0, 0,          // tag
]);
const NAME_LENS = memory.data<u8>([6, 4, 4, 3]);

const header = memory.data(40);

/** Type name of object type `kind` (1-4), for messages. */
export function kindName(kind: u8): string {
  if (kind == 1) return "commit";
  if (kind == 2) return "tree";
  if (kind == 3) return "blob";
  if (kind == 4) return "tag";
  return "unknown";
}

/** Starts hashing an object of type `kind` (1-4) and `size` bytes into `ctx`. */
export function hashObjectStart(ctx: usize, kind: u8, size: u64): void {
  let k = <usize>(kind - 1);
  let nl = <usize>load<u8>(NAME_LENS + k);
  memory.copy(header, NAMES + (k << 3), nl);
  let p = header + nl;
  store<u8>(p++, 0x20);
  // Decimal size, most significant digit first.
  let digits: usize = 1;
  let t = size;
  while (t >= 10) { t /= 10; digits++; }
  let q = p + digits;
  t = size;
  do {
    store<u8>(--q, <u8>(0x30 + <u32>(t % 10)));
    t /= 10;
  } while (t != 0);
  p += digits;
  store<u8>(p++, 0);
  sha1Init(ctx, true);
  sha1Update(ctx, header, p - header);
}

/**
 * The inflater's last error, told from the pack's point of view: which entry,
 * where in its zlib stream, and for a size mismatch the size its header declared.
 */
export function describeZlibError(code: i32, at: u64, declared: u64): string {
  let inner = String.UTF8.decodeUnsafe(errorMessagePtr(), <usize>errorMessageLen());
  let s = "object at offset " + at.toString() + ": " + inner;
  let pos = errorOffset();
  if (pos != U64.MAX_VALUE) s += " (byte " + pos.toString() + " of its zlib data)";
  if (code == E_SIZE_MISMATCH) s += "; its header declares " + declared.toString() + " bytes";
  return s;
}

// One error path for the whole core.
//
// Every export that can fail returns a negative status code; the details of the
// last failure (a message, and the byte offset it concerns when there is one) are
// kept here for the host to read with errorMessagePtr/errorMessageLen/errorOffset.
// Keeping them in static memory means a failure never allocates.

export const OK: i32 = 0;

// Status codes shared by every module. Values are part of the ABI (docs/core-abi.md).
export const E_INVALID_ARG: i32 = -1;    // caller passed a bad pointer, length or state
export const E_OUT_OF_MEMORY: i32 = -2;  // a buffer would exceed the configured limit
export const E_ZLIB_HEADER: i32 = -10;   // bad zlib (RFC 1950) header
export const E_DEFLATE_DATA: i32 = -11;  // invalid deflate (RFC 1951) data
export const E_ZLIB_CHECKSUM: i32 = -12; // Adler-32 mismatch
export const E_SIZE_MISMATCH: i32 = -13; // output larger or smaller than declared
export const E_TRUNCATED: i32 = -14;     // input ended before the stream did
export const E_SHA1_COLLISION: i32 = -20; // SHA-1DC detected a collision attack
export const E_PACK_FORMAT: i32 = -30;   // malformed pack header or entry
export const E_PACK_CHECKSUM: i32 = -31; // pack trailer does not match its content
export const E_DELTA: i32 = -32;         // malformed delta or copy outside its base
export const E_MISSING_BASE: i32 = -33;  // a delta's base is not in the pack
export const E_OBJECT_TOO_LARGE: i32 = -34; // object cannot be held in linear memory
export const E_READ: i32 = -35;          // host readAt returned fewer bytes than asked
export const E_TREE: i32 = -40;          // malformed tree object
export const E_PATH: i32 = -41;          // a path a checkout must refuse (see assembly/path-safety.ts)

const MESSAGE_CAP: i32 = 512;
const message = memory.data(MESSAGE_CAP);
let messageLen: i32 = 0;
let lastCode: i32 = 0;
let lastOffset: u64 = U64.MAX_VALUE;

/** Records a failure and returns its code, so callers can `return fail(...)`. */
export function fail(code: i32, msg: string, offset: u64 = U64.MAX_VALUE): i32 {
  lastCode = code;
  lastOffset = offset;
  // Messages are ASCII by convention; copy at most MESSAGE_CAP bytes.
  let n = min(msg.length, MESSAGE_CAP);
  for (let i = 0; i < n; i++) store<u8>(message + i, <u8>msg.charCodeAt(i));
  messageLen = n;
  return code;
}

export function clearError(): void {
  lastCode = 0;
  lastOffset = U64.MAX_VALUE;
  messageLen = 0;
}

export function errorCode(): i32 { return lastCode; }
export function errorOffset(): u64 { return lastOffset; }
export function errorMessagePtr(): usize { return message; }
export function errorMessageLen(): i32 { return messageLen; }

// File access for the WASI command (build/wasmgit-wasi.wasm), on
// wasi_snapshot_preview1 alone.
//
// The core reads packs through host.readAt; in the WASI build assembly/host.ts
// routes those reads here, to fd_pread: positioned reads into linear memory,
// never a map. The declarations below are our own (only what we call), so the
// JS build can import this file and still import nothing from WASI: a declared
// function that is never called leaves no import in the binary.
//
// Paths reach a WASI program relative to preopened directories (WASI has no
// ambient filesystem): resolvePath() picks the preopen that contains a path.

// Errno values used here (wasi_snapshot_preview1 `errno`).
export const ERRNO_SUCCESS: u16 = 0;
export const ERRNO_AGAIN: u16 = 6;
export const ERRNO_BADF: u16 = 8;
export const ERRNO_EXIST: u16 = 20;
export const ERRNO_INTR: u16 = 27;
export const ERRNO_NOENT: u16 = 44;
export const ERRNO_PIPE: u16 = 64;

// Rights (`rights` bit flags) and open flags (`oflags`).
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_SEEK: u64 = 1 << 2;
const RIGHT_FD_TELL: u64 = 1 << 5;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
const OFLAG_CREAT: u16 = 1;
const OFLAG_EXCL: u16 = 4;
const OFLAG_TRUNC: u16 = 8;
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_pread")
declare function fd_pread(fd: u32, iovs: usize, iovsLen: usize, offset: u64, nread: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_filestat_get")
declare function fd_filestat_get(fd: u32, buf: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, buf: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(dirfd: u32, dirflags: u32, path: usize, pathLen: usize, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdflags: u16, fd: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_rename")
declare function path_rename(oldFd: u32, oldPath: usize, oldLen: usize, newFd: u32, newPath: usize, newLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_unlink_file")
declare function path_unlink_file(fd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "poll_oneoff")
declare function poll_oneoff(subscriptions: usize, events: usize, count: usize, nevents: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;

// Scratch for iovecs and out-parameters: static, so I/O never allocates.
const scratch = memory.data(64);
// Two poll_oneoff subscriptions (48 bytes each) and their events (32 bytes each).
const pollIn = memory.data(96);
const pollOut = memory.data(64);

/**
 * host.readAt for the WASI build: fills [dst, dst+len) from file descriptor
 * `fd` at `offset` with fd_pread, looping over short reads. Returns the bytes
 * read, short only at end of file or on an error (the core then reports
 * E_READ with the offset).
 */
export function wasiReadAt(fd: u32, offset: u64, dst: usize, len: u32): u32 {
  let done: u32 = 0;
  while (done < len) {
    store<u32>(scratch, <u32>(dst + done));
    store<u32>(scratch, len - done, 4);
    let err = fd_pread(fd, scratch, 1, offset + done, scratch + 8);
    if (err == ERRNO_INTR) continue;
    if (err != ERRNO_SUCCESS) break;
    let n = load<u32>(scratch, 8);
    if (n == 0) break;
    done += n;
  }
  return done;
}

/**
 * Waits until `fd` can take more bytes, or 10 ms have passed: one poll_oneoff
 * with an fd_write subscription and a relative clock one, so a runtime that
 * cannot poll descriptors still sleeps instead of spinning.
 */
function waitWritable(fd: u32): void {
  memory.fill(pollIn, 0, 96);
  store<u8>(pollIn, 2, 8); // eventtype fd_write
  store<u32>(pollIn, fd, 16);
  let clock = pollIn + 48;
  store<u64>(clock, 1, 0); // userdata, to tell the events apart
  store<u8>(clock, 0, 8); // eventtype clock
  store<u32>(clock, 1, 16); // CLOCKID_MONOTONIC
  store<u64>(clock, 10_000_000, 24); // timeout, ns, relative
  store<u64>(clock, 1_000_000, 32); // precision
  if (poll_oneoff(pollIn, pollOut, 2, scratch + 12) == ERRNO_SUCCESS) return;
  // Not even a clock to wait on: a clock-only poll, and failing that, retry at once.
  poll_oneoff(clock, pollOut, 1, scratch + 12);
}

/**
 * Writes all of [ptr, ptr+len) to `fd`; returns an errno. A descriptor left
 * non-blocking (a pipe that the host runtime also opened as a stream sets
 * O_NONBLOCK on it) answers AGAIN while its reader is behind: wait and
 * write the rest, rather than losing it.
 */
export function writeAll(fd: u32, ptr: usize, len: usize): u16 {
  while (len > 0) {
    store<u32>(scratch, <u32>ptr);
    store<u32>(scratch, <u32>len, 4);
    let err = fd_write(fd, scratch, 1, scratch + 8);
    if (err == ERRNO_INTR) continue;
    if (err == ERRNO_AGAIN) {
      waitWritable(fd);
      continue;
    }
    if (err != ERRNO_SUCCESS) return err;
    let n = <usize>load<u32>(scratch, 8);
    if (n == 0) return ERRNO_BADF; // a writer that accepts nothing would loop forever
    ptr += n;
    len -= n;
  }
  return ERRNO_SUCCESS;
}

/** The first failure writing to standard output (an errno), for the exit status; 0 when none. */
export let stdoutFailure: u16 = 0;

export function writeString(fd: u32, s: string): void {
  let buf = String.UTF8.encode(s);
  let err = writeAll(fd, changetype<usize>(buf), <usize>buf.byteLength);
  if (err != ERRNO_SUCCESS && fd == 1 && stdoutFailure == 0) stdoutFailure = err;
}

/** A path split into the preopened directory that holds it and the rest. */
export class Resolved {
  constructor(public dirfd: u32, public rel: string) {}
}

/**
 * Finds the preopened directory containing `path`: the longest preopen name
 * that is a whole-component prefix of it. A preopen named "." (or "") serves
 * relative paths. Returns null when no preopen gives access.
 */
export function resolvePath(path: string): Resolved | null {
  let best: Resolved | null = null;
  let bestScore = -1;
  let isAbs = path.startsWith("/");
  let rel = path;
  while (rel.startsWith("./")) rel = rel.substring(2);
  for (let fd: u32 = 3; fd < 1024; fd++) {
    if (fd_prestat_get(fd, scratch) != ERRNO_SUCCESS) break;
    if (load<u8>(scratch) != 0) continue; // not a directory preopen
    let nameLen = <usize>load<u32>(scratch, 4);
    let nameBuf = heap.alloc(nameLen + 1);
    if (fd_prestat_dir_name(fd, nameBuf, nameLen) != ERRNO_SUCCESS) continue;
    // Some runtimes count a trailing NUL in the length.
    while (nameLen > 0 && load<u8>(nameBuf + nameLen - 1) == 0) nameLen--;
    let name = String.UTF8.decodeUnsafe(nameBuf, nameLen);
    while (name.length > 1 && name.endsWith("/")) name = name.substring(0, name.length - 1);
    if (name == "." || name == "" || name == "./") {
      if (!isAbs && bestScore < 0) {
        best = new Resolved(fd, rel.length ? rel : ".");
        bestScore = 0;
      }
      continue;
    }
    let score = name.length;
    if (score <= bestScore) continue;
    let namePlain = name;
    while (namePlain.startsWith("./")) namePlain = namePlain.substring(2);
    let subject = name.startsWith("/") ? path : rel;
    if (name == "/") {
      if (isAbs) { best = new Resolved(fd, path.length > 1 ? path.substring(1) : "."); bestScore = score; }
    } else if (subject == namePlain) {
      best = new Resolved(fd, ".");
      bestScore = score;
    } else if (subject.startsWith(namePlain + "/")) {
      best = new Resolved(fd, subject.substring(namePlain.length + 1));
      bestScore = score;
    }
  }
  return best;
}

/** Last errno of openRead/openWrite (for messages). */
export let lastErrno: u16 = 0;

function pathOpen(r: Resolved, oflags: u16, rights: u64): i64 {
  let p = String.UTF8.encode(r.rel);
  let err = path_open(r.dirfd, LOOKUP_SYMLINK_FOLLOW, changetype<usize>(p), <usize>p.byteLength,
    oflags, rights, 0, 0, scratch);
  lastErrno = err;
  if (err != ERRNO_SUCCESS) return -1;
  return <i64>load<u32>(scratch);
}

/** Opens an existing file for positioned reads; returns the fd or -1 (see lastErrno). */
export function openRead(r: Resolved): i64 {
  return pathOpen(r, 0, RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_TELL | RIGHT_FD_FILESTAT_GET);
}

/** Creates a new file (failing if it exists) for writing; returns the fd or -1. */
export function createExclusive(r: Resolved): i64 {
  return pathOpen(r, OFLAG_CREAT | OFLAG_EXCL | OFLAG_TRUNC,
    RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_FD_TELL | RIGHT_FD_FILESTAT_GET);
}

/** Size of the open file `fd`, or -1. */
export function fileSize(fd: u32): i64 {
  let st = heap.alloc(64);
  let err = fd_filestat_get(fd, st);
  lastErrno = err;
  if (err != ERRNO_SUCCESS) return -1;
  return load<i64>(st, 32);
}

export function closeFd(fd: u32): void {
  fd_close(fd);
}

/** Renames within preopened directories; returns an errno. */
export function rename(from: Resolved, to: Resolved): u16 {
  let a = String.UTF8.encode(from.rel);
  let b = String.UTF8.encode(to.rel);
  return path_rename(from.dirfd, changetype<usize>(a), <usize>a.byteLength,
    to.dirfd, changetype<usize>(b), <usize>b.byteLength);
}

export function unlink(r: Resolved): u16 {
  let p = String.UTF8.encode(r.rel);
  return path_unlink_file(r.dirfd, changetype<usize>(p), <usize>p.byteLength);
}

/** Six random hex digits, for temporary names. */
export function randomHex(): string {
  random_get(scratch, 3);
  let s = "";
  for (let i = 0; i < 3; i++) {
    let b = load<u8>(scratch + i);
    s += "0123456789abcdef".charAt(b >> 4) + "0123456789abcdef".charAt(b & 15);
  }
  return s;
}

/** A short name for common errnos, for messages like git's. */
export function errnoText(err: u16): string {
  if (err == ERRNO_NOENT) return "No such file or directory";
  if (err == ERRNO_EXIST) return "File exists";
  if (err == ERRNO_BADF) return "Bad file descriptor";
  if (err == 2) return "Permission denied";
  if (err == 76) return "Capabilities insufficient";
  if (err == 31) return "Is a directory";
  if (err == 54) return "Not a directory";
  if (err == ERRNO_PIPE) return "Broken pipe";
  if (err == ERRNO_AGAIN) return "Resource temporarily unavailable";
  if (err == 51) return "No space left on device";
  if (err == 29) return "Input/output error";
  return "WASI errno " + err.toString();
}

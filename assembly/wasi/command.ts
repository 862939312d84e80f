// Argument handling and file plumbing of the WASI command (see assembly/wasi.ts).
// The work itself is the core's: wasi/pack.ts drives it over an open file.
import { errorMessagePtr, errorMessageLen, errorOffset } from "../error";
import {
  Resolved, resolvePath, openRead, createExclusive, fileSize, closeFd, writeAll, writeString,
  rename, unlink, randomHex, errnoText, lastErrno, wasiReadAt, ERRNO_SUCCESS, ERRNO_EXIST,
} from "./io";
import { indexPackFd, idxPtr, idxLen, packHashPtr, writeVerbose } from "./pack";
import { idHex } from "../pack/table";

const EXIT_BAD = 1;
const EXIT_FATAL = 128;
const EXIT_USAGE = 129;

const USAGE_INDEX = "usage: wasmgit-wasi index-pack [-o <idx>] <pack>\n";
const USAGE_VERIFY = "usage: wasmgit-wasi verify-pack [-v] <idx|pack>...\n";
const USAGE = "usage: wasmgit-wasi <command> [<args>]\n\n" +
  "The wasmgit core as a WASI command. Paths are resolved against the preopened directories.\n\n" +
  "Commands:\n" +
  "   index-pack [-o <idx>] <pack>     write the .idx of a pack (the same bytes as git index-pack)\n" +
  "   verify-pack [-v] <idx|pack>...   check packs against their .idx files\n";

function fatal(msg: string): i32 {
  writeString(2, "fatal: " + msg + "\n");
  return EXIT_FATAL;
}

function usage(text: string, msg: string = ""): i32 {
  if (msg.length) writeString(2, "error: " + msg + "\n\n");
  writeString(2, text);
  return EXIT_USAGE;
}

/** The core's last error as one line, with the pack offset when it has one. */
function coreError(): string {
  let msg = String.UTF8.decodeUnsafe(errorMessagePtr(), <usize>errorMessageLen());
  let off = errorOffset();
  if (off != U64.MAX_VALUE && msg.indexOf("offset") < 0) msg += " (at pack offset " + off.toString() + ")";
  return msg;
}


function resolveOrFail(path: string): Resolved | null {
  let r = resolvePath(path);
  if (!r) fatal("cannot reach '" + path + "': no preopened directory contains it (grant one to the WASI runtime)");
  return r;
}

/** Opens `path` and indexes it with the core. Returns 0, or an exit code after printing why. */
function indexFile(path: string): i32 {
  let r = resolveOrFail(path);
  if (!r) return EXIT_FATAL;
  let fd = openRead(r);
  if (fd < 0) return fatal("cannot open packfile '" + path + "': " + errnoText(lastErrno));
  let size = fileSize(<u32>fd);
  if (size < 0) {
    closeFd(<u32>fd);
    return fatal("cannot stat packfile '" + path + "': " + errnoText(lastErrno));
  }
  let status = indexPackFd(<u32>fd, <u64>size);
  closeFd(<u32>fd);
  if (status < 0) return fatal(path + ": " + coreError());
  return 0;
}

function indexPack(args: string[]): i32 {
  let out = "";
  let pack = "";
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a == "-o") {
      if (i + 1 >= args.length) return usage(USAGE_INDEX, "switch `o' requires a value");
      out = args[++i];
    } else if (a.startsWith("-o") && a.length > 2) {
      out = a.substring(2);
    } else if (a == "-h" || a == "--help") {
      writeString(1, USAGE_INDEX);
      return 0;
    } else if (a.startsWith("-") && a.length > 1) {
      return usage(USAGE_INDEX, "unknown option '" + a + "'");
    } else if (pack.length) {
      return usage(USAGE_INDEX, "only one pack may be given");
    } else {
      pack = a;
    }
  }
  if (!pack.length) return usage(USAGE_INDEX);
  if (!out.length) {
    // As git: <name>.pack gets <name>.idx beside it.
    if (!pack.endsWith(".pack")) return fatal("packfile name '" + pack + "' does not end with '.pack'");
    out = pack.substring(0, pack.length - 5) + ".idx";
  }
  if (!resolveOrFail(pack)) return EXIT_FATAL;
  let dest = resolveOrFail(out);
  if (!dest) return EXIT_FATAL;

  let status = indexFile(pack);
  if (status != 0) return status;

  // Write to a temporary name beside the destination, then rename: a reader
  // never sees a partial .idx, and a failure leaves none behind.
  let tmp: Resolved | null = null;
  let fd: i64 = -1;
  for (let attempt = 0; attempt < 8 && fd < 0; attempt++) {
    tmp = resolvePath(out + ".tmp-" + randomHex());
    if (!tmp) return fatal("cannot reach '" + out + "'");
    fd = createExclusive(tmp);
    if (fd < 0 && lastErrno != ERRNO_EXIST) break;
  }
  if (fd < 0) return fatal("unable to create temporary index beside '" + out + "': " + errnoText(lastErrno));
  let err = writeAll(<u32>fd, idxPtr, idxLen);
  closeFd(<u32>fd);
  if (err == ERRNO_SUCCESS) err = rename(tmp!, dest);
  if (err != ERRNO_SUCCESS) {
    unlink(tmp!);
    return fatal("unable to write '" + out + "': " + errnoText(err));
  }
  // git index-pack prints the pack's checksum.
  writeString(1, idHex(packHashPtr) + "\n");
  return 0;
}

/** Reads a whole small file (an .idx) into memory; returns its length or -1. */
function readWhole(path: string, dst: StaticArray<usize>): i64 {
  let r = resolvePath(path);
  if (!r) return -1;
  let fd = openRead(r);
  if (fd < 0) return -1;
  let size = fileSize(<u32>fd);
  if (size < 0 || size > 0x7fff0000) {
    closeFd(<u32>fd);
    return -1;
  }
  let buf = heap.alloc(<usize>size);
  let n = wasiReadAt(<u32>fd, 0, buf, <u32>size);
  closeFd(<u32>fd);
  if (<i64>n != size) return -1;
  dst[0] = buf;
  return size;
}

function verifyPack(args: string[]): i32 {
  let verbose = false;
  let names = new Array<string>();
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "-h" || a == "--help") {
      writeString(1, USAGE_VERIFY);
      return 0;
    } else if (a.startsWith("-") && a.length > 1) return usage(USAGE_VERIFY, "unknown option '" + a + "'");
    else names.push(a);
  }
  if (!names.length) return usage(USAGE_VERIFY);
  let result = 0;
  for (let i = 0; i < names.length; i++) {
    // As git verify-pack: name.idx, name.pack or name all mean the pair.
    let base = names[i];
    if (base.endsWith(".idx")) base = base.substring(0, base.length - 4);
    else if (base.endsWith(".pack")) base = base.substring(0, base.length - 5);
    let packPath = base + ".pack";
    let idxPath = base + ".idx";
    let held = new StaticArray<usize>(1);
    let have = readWhole(idxPath, held);
    if (have < 0) {
      writeString(2, "error: cannot read index file '" + idxPath + "': " + errnoText(lastErrno) + "\n");
      result = EXIT_BAD;
      continue;
    }
    let status = indexFile(packPath);
    if (status != 0) {
      writeString(2, "error: " + packPath + ": bad\n");
      result = EXIT_BAD;
      continue;
    }
    // The index git would write for this pack must be the one on disk, byte for byte.
    if (<usize>have != idxLen || memory.compare(held[0], idxPtr, idxLen) != 0) {
      writeString(2, "error: " + idxPath + " does not match the index of " + packPath + "\n");
      writeString(2, "error: " + packPath + ": bad\n");
      result = EXIT_BAD;
      continue;
    }
    if (verbose) {
      writeVerbose(1);
      writeString(1, packPath + ": ok\n");
    }
  }
  return result;
}

/** Runs the command line `argv` (argv[0] is the program); returns the exit code. */
export function main(argv: string[]): i32 {
  if (argv.length < 2) return usage(USAGE);
  let cmd = argv[1];
  let rest = argv.slice(2);
  if (cmd == "index-pack") return indexPack(rest);
  if (cmd == "verify-pack") return verifyPack(rest);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    writeString(1, USAGE);
    return 0;
  }
  writeString(2, "wasmgit-wasi: '" + cmd + "' is not a command. See 'wasmgit-wasi --help'.\n");
  return 1;
}

// A bundle file (`git bundle create`), read as git's bundle transport reads it
// (transport.c: is_bundle, get_refs_from_bundle, fetch_refs_from_bundle;
// bundle.c: read_bundle_header, verify_bundle). The format (gitformat-bundle):
//
//   "# v2 git bundle" LF | "# v3 git bundle" LF      signature
//   *("@" key ["=" value] LF)                         capabilities, v3 only
//   *("-" oid [SP comment] LF)                        prerequisites
//   *(oid SP refname LF)                              references
//   LF                                                end of the header
//   pack                                              a pack, to the end of the file
//
// The advertisement is the header's references, in git's order (its list is
// built by prepending, so the last reference comes first); a bundle has no
// symrefs, so HEAD's branch is guessed from its object id as for any server
// that names none. The fetch streams the bytes after the header, in chunks
// read with ordinary reads, to the sink: the caller's streaming indexer checks
// the pack (entries, trailer) as for any other transport. A bundle with
// prerequisites the caller does not have (its `haves`) fails as git's
// verify_bundle does, before reading any of the pack; with them, its pack is
// thin and the caller's indexer completes it (index-pack --fix-thin).

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { TransportError } from '../protocol/errors.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, OpenOptions, Remote, RemoteRef } from '../protocol/types.ts';

const CHUNK = 1 << 20;
const SIGNATURES: Record<string, 2 | 3> = { '# v2 git bundle': 2, '# v3 git bundle': 3 };
const HEX_LEN = { sha1: 40, sha256: 64 } as const;

export interface BundleHeader {
  version: 2 | 3;
  objectFormat: 'sha1' | 'sha256';
  /** `@filter=<spec>` (v3): the bundle holds a partial pack. */
  filter?: string;
  /** Capabilities as written, in order (v3 only). */
  capabilities: [string, string | true][];
  prerequisites: { oid: string; comment: string }[];
  /** References in the order of the file. */
  refs: { oid: string; name: string }[];
  /** Byte offset of the pack in the file: the first byte after the blank line. */
  packOffset: number;
}

/** A malformed bundle: `path`, and the `offset` (and `line`, 1-based) where it stops making sense. */
export class BundleFormatError extends TransportError {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly offset: number,
    readonly line?: number,
  ) {
    super('protocol', `${path}: ${problem} (${line !== undefined ? `line ${line}, ` : ''}byte offset ${offset})`, path);
    this.name = 'BundleFormatError';
  }
}

/** The signature line's version, or 0 when `firstLine` is not one. */
function signatureVersion(firstLine: string): 0 | 2 | 3 {
  return SIGNATURES[firstLine] ?? 0;
}

/**
 * Whether `path` is a regular file whose first line is a bundle signature:
 * what sends a local path to this transport (transport.c is_bundle; here a
 * malformed header below a good signature is reported as such rather than
 * mistaken for a repository).
 */
export function isBundleFile(path: string): boolean {
  let fd: number;
  try {
    if (!statSync(path).isFile()) return false;
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 16 && head[15] === 0x0a && signatureVersion(head.toString('latin1', 0, 15)) !== 0;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses a complete header: `bytes` holds the file from its start through at
 * least the blank line that ends the header (bundle.c parse_bundle_header).
 * Returns null when the blank line is not in `bytes` yet (read more);
 * `atEof` says there is no more, which makes that an error.
 */
export function parseBundleHeader(bytes: Uint8Array, path: string, atEof = true): BundleHeader | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const firstEnd = buf.indexOf(0x0a);
  if (firstEnd < 0) {
    if (!atEof) return null;
    throw new BundleFormatError(path, 'does not look like a v2 or v3 bundle file: no signature line', 0, 1);
  }
  const version = signatureVersion(buf.toString('latin1', 0, firstEnd));
  if (!version) throw new BundleFormatError(path, 'does not look like a v2 or v3 bundle file', 0, 1);
  const header: BundleHeader = { version, objectFormat: 'sha1', capabilities: [], prerequisites: [], refs: [], packOffset: 0 };
  let pos = firstEnd + 1;
  for (let line = 2; ; line++) {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) {
      if (!atEof) return null;
      const problem = pos === buf.length ? 'truncated: the header ends without the blank line before the pack' : 'truncated: the header ends in the middle of a line';
      throw new BundleFormatError(path, problem, pos, line);
    }
    // Ref names are UTF-8 by convention; ids and capabilities are ASCII.
    const text = buf.toString('utf8', pos, end);
    const at = pos;
    pos = end + 1;
    if (text === '') {
      header.packOffset = pos;
      return header;
    }
    if (version === 3 && text.startsWith('@')) {
      // bundle.c parse_capability: object-format and filter are the ones git knows.
      const eq = text.indexOf('=');
      const key = eq < 0 ? text.slice(1) : text.slice(1, eq);
      const value = eq < 0 ? true : text.slice(eq + 1);
      if (key === 'object-format') {
        if (value !== 'sha1' && value !== 'sha256') throw new BundleFormatError(path, `unrecognized bundle hash algorithm: ${value === true ? '' : value}`, at, line);
        header.objectFormat = value;
      } else if (key === 'filter') {
        if (value === true || value === '') throw new BundleFormatError(path, 'the filter capability has no filter spec', at, line);
        header.filter = value;
      } else throw new BundleFormatError(path, `unknown capability '${text.slice(1)}'`, at, line);
      header.capabilities.push([key, value]);
      continue;
    }
    const prereq = text.startsWith('-');
    const body = prereq ? text.slice(1) : text;
    const len = HEX_LEN[header.objectFormat];
    const oid = body.slice(0, len);
    const rest = body.slice(len);
    const isOid = oid.length === len && /^[0-9a-f]+$/.test(oid);
    if (prereq) {
      if (!isOid || (rest !== '' && rest[0] !== ' ')) throw new BundleFormatError(path, `bad prerequisite line '${text}': expected '-<object id> [<comment>]'`, at, line);
      header.prerequisites.push({ oid, comment: rest.slice(1) });
    } else {
      if (!isOid || rest[0] !== ' ' || rest.length < 2) throw new BundleFormatError(path, `bad reference line '${text}': expected '<object id> <refname>'`, at, line);
      header.refs.push({ oid, name: rest.slice(1) });
    }
  }
}

/** Reads and parses the header of the bundle at `path`, reading only as far as it goes. */
export function readBundleHeader(path: string): BundleHeader {
  const fd = openSync(path, 'r');
  try {
    let buf = new Uint8Array(64 * 1024);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, len);
      len += n;
      const header = parseBundleHeader(buf.subarray(0, len), path, n === 0);
      if (header) return header;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A failure of the pack part (the indexer's words, with offsets in the pack)
 * told as a failure of the bundle: which file, and where in it the pack starts.
 */
export function bundlePackMessage(path: string, err: unknown): string {
  let where = '';
  try {
    where = ` (the pack starts at byte offset ${readBundleHeader(path).packOffset} of the bundle)`;
  } catch {
    /* the header was read once already: it changed since; say what is known */
  }
  return `${path}: bad pack data${where}: ${err instanceof Error ? err.message : String(err)}`;
}

class BundleRemote implements Remote {
  private header: BundleHeader | null = null;

  constructor(
    readonly url: string,
    private readonly path: string,
    private readonly opts: OpenOptions,
  ) {}

  private read(): BundleHeader {
    this.header ??= readBundleHeader(this.path);
    return this.header;
  }

  async advertise(): Promise<Advertisement> {
    const h = this.read();
    // get_refs_from_bundle prepends each reference: the last one comes first.
    const refs: RemoteRef[] = h.refs.map((r) => ({ name: r.name, oid: r.oid })).reverse();
    const capabilities = new Map<string, string | true>([['object-format', h.objectFormat]]);
    if (h.filter) capabilities.set('filter', h.filter);
    return { refs, protocol: 0, capabilities, objectFormat: h.objectFormat };
  }

  /** Depth, filter and server options mean nothing to a file: ignored, as git ignores them for a bundle. */
  async fetch(req: FetchRequest, sink: FetchSink): Promise<FetchResult> {
    const signal = req.signal ?? this.opts.signal;
    if (signal?.aborted) throw signal.reason;
    const h = this.read();
    const result: FetchResult = { shallow: [], unshallow: [] };
    if (req.wants.length === 0) return result;
    // verify_bundle(): a prerequisite must be there already. `haves` are the
    // objects the caller has (a new repository: none, or those it borrows).
    const have = new Set(req.haves ?? []);
    const missing = h.prerequisites.filter((p) => !have.has(p.oid));
    if (missing.length) {
      // git prints the id and an empty name (2.39), hence the trailing space.
      const text = `error: Repository lacks these prerequisite commits:\n${missing.map((p) => `error: ${p.oid} \n`).join('')}`;
      const reason = 'remote transport reported error';
      const list = missing.map((p) => p.oid).join(', ');
      throw new TransportError('protocol', `${this.path}: the bundle needs prerequisite commits a new repository lacks (${list}); ${reason}`, this.url, { text, reason });
    }
    const fd = openSync(this.path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= h.packOffset) throw new BundleFormatError(this.path, 'truncated: no pack after the header', h.packOffset);
      let at = h.packOffset;
      while (at < size) {
        if (signal?.aborted) throw signal.reason;
        // A fresh buffer per chunk: the sink may keep it.
        const chunk = new Uint8Array(Math.min(CHUNK, size - at));
        const n = readSync(fd, chunk, 0, chunk.length, at);
        if (n <= 0) throw new BundleFormatError(this.path, 'the file ended while it was being read', at);
        at += n;
        await sink.pack(n === chunk.length ? chunk : chunk.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    return result;
  }

  async close(): Promise<void> {}
}

export function openBundle(url: string, path: string, opts: OpenOptions): Remote {
  return new BundleRemote(url, path, opts);
}

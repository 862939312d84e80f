// pkt-line framing (gitprotocol-common, "pkt-line Format"): four hex digits give
// the length of the line including themselves; 0000 is a flush, 0001 a delimiter
// (protocol v2 sections), 0002 a response end (v2 over stateless transports).
// The largest packet is 65520 bytes, i.e. 65516 bytes of payload.

import { TransportError, hungUp } from './errors.ts';

export const MAX_PKT = 65520;
export const MAX_PAYLOAD = MAX_PKT - 4;

export type Pkt =
  | { kind: 'data'; data: Uint8Array }
  | { kind: 'flush' }
  | { kind: 'delim' }
  | { kind: 'end' };

const enc = new TextEncoder();
const dec = new TextDecoder();
const HEX = '0123456789abcdef';

export const FLUSH = enc.encode('0000');
export const DELIM = enc.encode('0001');
export const RESPONSE_END = enc.encode('0002');

/** Frames one payload; strings are UTF-8 and callers add the trailing LF where the protocol wants one. */
export function pkt(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? enc.encode(payload) : payload;
  if (body.length > MAX_PAYLOAD) throw new RangeError(`pkt-line payload of ${body.length} bytes exceeds ${MAX_PAYLOAD}`);
  const n = body.length + 4;
  const out = new Uint8Array(n);
  out[0] = HEX.charCodeAt((n >> 12) & 15);
  out[1] = HEX.charCodeAt((n >> 8) & 15);
  out[2] = HEX.charCodeAt((n >> 4) & 15);
  out[3] = HEX.charCodeAt(n & 15);
  out.set(body, 4);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Node's Buffer has a Latin-1 decoder that takes a range: no view to make per string. */
type Latin1Slicer = Uint8Array & { latin1Slice(start: number, end: number): string };
const hasLatin1Slice = (b: Uint8Array): b is Latin1Slicer => typeof (b as Partial<Latin1Slicer>).latin1Slice === 'function';

/** Bytes [start, end) of `buf`, all below 0x80, as text: for ASCII, Latin-1 and UTF-8 decode alike and Latin-1 costs less. */
export function asciiText(buf: Uint8Array, start: number, end: number): string {
  return hasLatin1Slice(buf) ? buf.latin1Slice(start, end) : dec.decode(buf.subarray(start, end));
}

/** A data packet's text without its trailing LF (which the protocol makes optional to send, mandatory to strip). */
export function text(data: Uint8Array): string {
  const n = data.length > 0 && data[data.length - 1] === 10 ? data.length - 1 : data.length;
  return dec.decode(data.subarray(0, n));
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Reads packets from a byte stream that arrives in arbitrary chunks. It pulls a
 * chunk only when the current packet needs it, so a consumer that awaits between
 * reads applies backpressure all the way to the socket or pipe. Payloads are
 * views of the received chunks (copied only when a packet spans two chunks);
 * they stay valid after the next read.
 */
export class PktReader {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  private avail = 0;
  private done = false;
  private pending: Pkt | null = null;
  /** Total bytes taken off the stream so far (headers included). */
  bytesRead = 0;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    readonly url: string,
    /** Turns a stream failure (reset, abort) into the error to throw. */
    private readonly mapError: (err: unknown) => Error = (err) => hungUp(url, String((err as Error)?.message ?? err)),
  ) {}

  /** Ensures `n` bytes are buffered; false when the stream ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.avail < n) {
      if (this.done) return false;
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.source.next();
      } catch (err) {
        throw err instanceof TransportError ? err : this.mapError(err);
      }
      if (r.done) {
        this.done = true;
        return false;
      }
      const c = r.value;
      if (c.length) {
        this.chunks.push(c);
        this.avail += c.length;
      }
    }
    return true;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length - this.head, n - o);
        out.set(c.subarray(this.head, this.head + k), o);
        o += k;
        this.head += k;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.avail -= n;
    this.bytesRead += n;
    return out;
  }

  /** The next unframed bytes (what is buffered first), or null at the end of the stream. */
  async rawChunk(): Promise<Uint8Array | null> {
    if (!(await this.fill(1))) return null;
    return this.take(this.chunks[0].length - this.head);
  }

  /** Makes `p` the next packet read() returns (used to look at a first packet and hand it on). */
  unread(p: Pkt): void {
    this.pending = p;
  }

  /** True when the stream has ended with nothing left buffered. */
  async atEnd(): Promise<boolean> {
    if (this.pending) return false;
    return !(await this.fill(1));
  }

  /** Next packet, or null when the stream ended cleanly between packets. */
  async read(): Promise<Pkt | null> {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    if (!(await this.fill(4))) {
      if (this.avail === 0) return null;
      throw hungUp(this.url, `stream ended inside a pkt-line header after ${this.bytesRead} bytes`);
    }
    const h = this.take(4);
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const v = hexVal(h[i]);
      if (v < 0) {
        const shown = dec.decode(h).replace(/[^\x20-\x7e]/g, '?');
        throw new TransportError('protocol', `protocol error: bad line length character: ${shown}`, this.url);
      }
      len = (len << 4) | v;
    }
    if (len === 0) return { kind: 'flush' };
    if (len === 1) return { kind: 'delim' };
    if (len === 2) return { kind: 'end' };
    if (len < 4) throw new TransportError('protocol', `protocol error: bad line length ${len}`, this.url);
    const n = len - 4;
    if (n === 0) return { kind: 'data', data: new Uint8Array(0) };
    if (!(await this.fill(n))) {
      throw hungUp(this.url, `stream ended inside a ${len}-byte pkt-line after ${this.bytesRead + this.avail} bytes`);
    }
    return { kind: 'data', data: this.take(n) };
  }

  /**
   * Reads the packets already buffered whole, without waiting, handing each data
   * payload to `onData` as bytes [start, end) of `buf` (valid during the call
   * only), after the checks expect() makes. Stops at the first packet that is
   * not data and returns its kind, or at one not yet buffered whole (or
   * malformed) and returns undefined: expect() then waits for it, or reports
   * it. A response of many small packets (a ref advertisement) is read this way
   * with neither a promise nor an object per packet.
   */
  scanBuffered(onData: (buf: Uint8Array, start: number, end: number) => void): 'flush' | 'delim' | 'end' | undefined {
    if (this.pending) return undefined;
    for (;;) {
      const c = this.chunks[0];
      if (c === undefined) return undefined;
      const h = this.head;
      const left = c.length - h;
      if (left < 4) return undefined;
      const len = (hexVal(c[h]) << 12) | (hexVal(c[h + 1]) << 8) | (hexVal(c[h + 2]) << 4) | hexVal(c[h + 3]);
      if (len < 0 || len === 3 || left < len) return undefined;
      const n = len < 4 ? 4 : len;
      this.head += n;
      this.avail -= n;
      this.bytesRead += n;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
      if (len < 4) return len === 0 ? 'flush' : len === 1 ? 'delim' : 'end';
      const start = h + 4;
      if (c[start] === 69) throwIfErr(c.subarray(start, h + len), this.url);
      onData(c, start, h + len);
    }
  }

  /**
   * Every data packet up to the next flush, buffered ones read by
   * scanBuffered(); a delimiter there is a protocol error about `what`.
   */
  async eachUntilFlush(onData: (buf: Uint8Array, start: number, end: number) => void, what: string): Promise<void> {
    for (;;) {
      const kind = this.scanBuffered(onData);
      const p = kind ? { kind } : await this.expect();
      if (p.kind === 'flush') return;
      if (p.kind !== 'data') throw new TransportError('protocol', `protocol error: unexpected delimiter in ${what}`, this.url);
      onData(p.data, 0, p.data.length);
    }
  }

  /**
   * Next packet, failing on a clean end too (the protocol always says where a
   * response ends) and on an `ERR` packet, which a server may send at any point.
   */
  async expect(): Promise<Pkt> {
    const p = await this.read();
    if (!p) throw hungUp(this.url);
    if (p.kind === 'data') throwIfErr(p.data, this.url);
    return p;
  }
}

/** `ERR <message>` packets end the conversation (gitprotocol-pack, "ERR" may replace any packet). */
export function throwIfErr(data: Uint8Array, url: string): void {
  if (data.length >= 4 && data[0] === 69 && data[1] === 82 && data[2] === 82 && data[3] === 32) {
    throw new TransportError('remote-error', `remote error: ${text(data.subarray(4))}`, url);
  }
}

/** Adapts a Node stream (or any async iterable of bytes) to the iterator PktReader pulls from. */
export function iterate(src: AsyncIterable<Uint8Array>): AsyncIterator<Uint8Array> {
  return src[Symbol.asyncIterator]();
}

// The smallest git smart-HTTP client a browser needs to clone: protocol v2
// (gitprotocol-v2) `ls-refs` and `fetch` over `fetch()`, with pkt-line framing
// (gitprotocol-common) and side-band-64k demultiplexing. Plain ESM, no Node APIs.
//
// The server must answer CORS preflights: requests carry a `Git-Protocol`
// header and a non-simple Content-Type.

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Frames one pkt-line: 4 hex digits of total length, then the payload. */
export function pkt(payload) {
  const body = typeof payload === 'string' ? enc.encode(payload) : payload;
  const n = body.length + 4;
  if (n > 65520) throw new RangeError(`pkt-line of ${n} bytes exceeds 65520`);
  const out = new Uint8Array(n);
  out.set(enc.encode(n.toString(16).padStart(4, '0')));
  out.set(body, 4);
  return out;
}

const FLUSH = enc.encode('0000');
const DELIM = enc.encode('0001');

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * Reads pkt-lines from a byte stream (a fetch body). `next()` resolves to
 * { kind: 'data', data } | { kind: 'flush' } | { kind: 'delim' } | { kind: 'end' }
 * | null at end of stream. Errors name the byte offset where framing broke.
 */
export class PktReader {
  constructor(stream) {
    this.reader = stream.getReader();
    this.buf = new Uint8Array(0);
    this.pos = 0;       // read position in buf
    this.offset = 0;    // stream offset of buf[0], for messages
    this.done = false;
  }

  async fill(n) {
    while (this.buf.length - this.pos < n && !this.done) {
      const { value, done } = await this.reader.read();
      if (done) { this.done = true; break; }
      const rest = this.buf.subarray(this.pos);
      this.offset += this.pos;
      this.buf = concat([rest, value]);
      this.pos = 0;
    }
    return this.buf.length - this.pos >= n;
  }

  async next() {
    if (!(await this.fill(4))) {
      if (this.buf.length - this.pos === 0) return null;
      throw new Error(`pkt-line: stream ended inside a length header at byte ${this.offset + this.pos}`);
    }
    const hex = dec.decode(this.buf.subarray(this.pos, this.pos + 4));
    if (!/^[0-9a-f]{4}$/.test(hex)) throw new Error(`pkt-line: bad length ${JSON.stringify(hex)} at byte ${this.offset + this.pos}`);
    const len = parseInt(hex, 16);
    if (len < 4) {
      this.pos += 4;
      return { kind: len === 0 ? 'flush' : len === 1 ? 'delim' : 'end' };
    }
    if (!(await this.fill(len))) throw new Error(`pkt-line: stream ended inside a ${len}-byte packet at byte ${this.offset + this.pos}`);
    const data = this.buf.slice(this.pos + 4, this.pos + len);
    this.pos += len;
    return { kind: 'data', data };
  }
}

function text(data) {
  const s = dec.decode(data);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

function trimSlash(url) {
  return url.replace(/\/+$/, '');
}

async function post(url, body, signal) {
  const res = await fetch(`${trimSlash(url)}/git-upload-pack`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Git-Protocol': 'version=2' },
    body,
    signal,
  });
  if (!res.ok) throw new Error(`${url}: git-upload-pack answered HTTP ${res.status}`);
  return new PktReader(res.body);
}

/** Reads the v2 capability advertisement; returns a Map of capability → value|true. */
export async function advertise(url, signal) {
  const res = await fetch(`${trimSlash(url)}/info/refs?service=git-upload-pack`, { headers: { 'Git-Protocol': 'version=2' }, signal });
  if (res.status === 404) throw new Error(`${url}: repository not found`);
  if (!res.ok) throw new Error(`${url}: info/refs answered HTTP ${res.status}`);
  const r = new PktReader(res.body);
  let p = await r.next();
  // Some servers still send the v0 "# service=" banner and a flush first.
  if (p?.kind === 'data' && text(p.data).startsWith('# service=')) {
    await r.next();
    p = await r.next();
  }
  if (p?.kind !== 'data' || text(p.data) !== 'version 2') throw new Error(`${url}: server does not speak protocol v2`);
  const caps = new Map();
  for (p = await r.next(); p && p.kind === 'data'; p = await r.next()) {
    const line = text(p.data);
    const eq = line.indexOf('=');
    caps.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? true : line.slice(eq + 1));
  }
  if (!caps.has('ls-refs') || !caps.has('fetch')) throw new Error(`${url}: server lacks ls-refs or fetch`);
  return caps;
}

/** `ls-refs` with symrefs: returns { refs: [{ name, oid, symrefTarget?, peeled? }], head?: string }. */
export async function lsRefs(url, signal) {
  const body = concat([pkt('command=ls-refs\n'), pkt('object-format=sha1\n'), DELIM,
    pkt('peel\n'), pkt('symrefs\n'), pkt('ref-prefix HEAD\n'), pkt('ref-prefix refs/heads/\n'), pkt('ref-prefix refs/tags/\n'), FLUSH]);
  const r = await post(url, body, signal);
  const refs = [];
  for (let p = await r.next(); p && p.kind === 'data'; p = await r.next()) {
    const [oid, name, ...attrs] = text(p.data).split(' ');
    if (!/^[0-9a-f]{40}$/.test(oid) || !name) throw new Error(`${url}: bad ls-refs line ${JSON.stringify(text(p.data))}`);
    const ref = { name, oid };
    for (const a of attrs) {
      if (a.startsWith('symref-target:')) ref.symrefTarget = a.slice(14);
      else if (a.startsWith('peeled:')) ref.peeled = a.slice(7);
    }
    refs.push(ref);
  }
  const head = refs.find((x) => x.name === 'HEAD');
  return { refs, head: head?.symrefTarget };
}

/**
 * `fetch` of `wants` with no haves: resolves to the pack bytes (band 1 of the
 * "packfile" section). Band 2 progress goes to onProgress; band 3 is an error.
 */
export async function fetchPack(url, wants, { onProgress, signal } = {}) {
  const lines = [pkt('command=fetch\n'), pkt('object-format=sha1\n'), DELIM, pkt('ofs-delta\n')];
  if (!onProgress) lines.push(pkt('no-progress\n'));
  for (const w of new Set(wants)) lines.push(pkt(`want ${w}\n`));
  lines.push(pkt('done\n'), FLUSH);
  const r = await post(url, concat(lines), signal);
  const chunks = [];
  let section = null;
  for (let p = await r.next(); p; p = await r.next()) {
    if (p.kind === 'flush') break;
    if (p.kind !== 'data') { section = null; continue; }
    if (section !== 'packfile') {
      const line = text(p.data);
      if (line === 'packfile') section = 'packfile';
      else if (line.startsWith('ERR ')) throw new Error(`${url}: remote error: ${line.slice(4)}`);
      else section = line; // acknowledgments, shallow-info, wanted-refs: nothing to do for a full clone
      continue;
    }
    const band = p.data[0];
    if (band === 1) chunks.push(p.data.subarray(1));
    else if (band === 2) onProgress?.(dec.decode(p.data.subarray(1)));
    else if (band === 3) throw new Error(`${url}: remote error: ${text(p.data.subarray(1))}`);
    else throw new Error(`${url}: bad side-band ${band}`);
  }
  if (!chunks.length) throw new Error(`${url}: the server sent no pack`);
  return concat(chunks);
}

// The clone, off the page's thread: fetch the pack over smart HTTP, index it
// with the wasmgit core, then read HEAD's history and tree back out of it.
//
// Everything stays in memory: the pack is one Uint8Array that the core reads
// with positioned copies (host.readAt), and the .idx the core builds is handed
// back to it for object lookups. wasmgit/core finds and instantiates the .wasm
// and wraps the indexing calls (PackCore); object reads use the plain ABI
// (docs/core-abi.md).
import { loadCore, PackCore } from '../../dist/core/index.js';
import { advertise, lsRefs, fetchPack } from './git-http.js';

const TYPES = [null, 'commit', 'tree', 'blob', 'tag'];
const MAX_COMMITS = 1000;
const dec = new TextDecoder();

const status = (text) => postMessage({ type: 'status', text });

/** A Source over bytes in memory: the core asks, we copy. */
function memorySource(bytes) {
  return {
    readAt(offset, dst) {
      const n = Math.max(0, Math.min(dst.length, bytes.length - offset));
      dst.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
}

/**
 * Indexes `pack`: pass 1 streams it through the core's input window, pass 2
 * resolves deltas reading entries back through readAt, then the .idx is built.
 */
function indexPack(core, pack) {
  const pc = new PackCore(core);
  pc.scanBegin(pack.length);
  pc.scanPush(pack);
  const objects = pc.scanEnd();
  pc.resolveBegin(memorySource(pack));
  pc.resolveAll();
  pc.resolveCheck();
  const idx = pc.buildIdx();
  pc.dispose();
  return { idx, objects };
}

/** Object reads by id from the pack and its .idx, in the core. */
class Objects {
  constructor(core, sourceId, pack, idx) {
    this.core = core;
    const e = core.exports;
    e.objectsReset();
    const p = core.alloc(idx.length);
    core.bytes(p, idx.length).set(idx);
    core.check(e.packAdd(sourceId, p, idx.length, BigInt(pack.length)));
    this.idBuf = core.alloc(20);
  }

  read(oid) {
    const id = this.core.bytes(this.idBuf, 20);
    for (let i = 0; i < 20; i++) id[i] = parseInt(oid.slice(2 * i, 2 * i + 2), 16);
    const e = this.core.exports;
    const t = e.objectRead(this.idBuf);
    if (t === 0) throw new Error(`object ${oid} is not in the pack`);
    if (t < 0) throw this.core.lastError(t);
    return { type: TYPES[t], data: this.core.bytes(e.objectDataPtr(), e.objectDataLen()).slice() };
  }
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The fields of a commit object the page shows (gitformat-object: headers, blank line, message). */
function parseCommit(oid, data) {
  const text = dec.decode(data);
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split < 0 ? text.length : split).split('\n');
  const c = { oid, tree: '', parents: [], author: '', time: 0, subject: '' };
  for (const line of head) {
    if (line.startsWith('tree ')) c.tree = line.slice(5);
    else if (line.startsWith('parent ')) c.parents.push(line.slice(7));
    else if (line.startsWith('author ')) c.author = line.slice(7).replace(/ <.*$/, '');
    else if (line.startsWith('committer ')) c.time = Number(line.split(' ').at(-2));
  }
  c.subject = split < 0 ? '' : text.slice(split + 2).split('\n')[0];
  return c;
}

/**
 * History from `head`, newest first, in the order `git rev-list` gives: a queue
 * ordered by committer date, ties in the order commits were reached.
 */
function log(objects, head) {
  const out = [];
  const seen = new Set([head]);
  let queue = [{ c: readCommit(objects, head), n: 0 }];
  let reached = 1;
  while (queue.length && out.length < MAX_COMMITS) {
    queue.sort((a, b) => b.c.time - a.c.time || a.n - b.n);
    const { c } = queue.shift();
    out.push(c);
    for (const p of c.parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push({ c: readCommit(objects, p), n: reached++ });
    }
  }
  return out;
}

function readCommit(objects, oid) {
  const o = objects.read(oid);
  if (o.type !== 'commit') throw new Error(`${oid} is a ${o.type}, not a commit`);
  return parseCommit(oid, o.data);
}

/** Every non-tree entry under `tree`, as `git ls-tree -r` lists them. */
function listTree(objects, tree, prefix = '', out = []) {
  const o = objects.read(tree);
  if (o.type !== 'tree') throw new Error(`${tree} is a ${o.type}, not a tree`);
  const d = o.data;
  for (let i = 0; i < d.length; ) {
    const sp = d.indexOf(0x20, i);
    const nul = d.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > d.length) throw new Error(`tree ${tree} is malformed at byte ${i}`);
    const mode = dec.decode(d.subarray(i, sp)).padStart(6, '0');
    const name = dec.decode(d.subarray(sp + 1, nul));
    const oid = hex(d.subarray(nul + 1, nul + 21));
    i = nul + 21;
    if (mode === '040000') listTree(objects, oid, `${prefix}${name}/`, out);
    else out.push({ mode, oid, path: prefix + name });
  }
  return out;
}

async function clone(url) {
  status(`Asking ${url} for its refs…`);
  await advertise(url);
  const { refs, head: headRef } = await lsRefs(url);
  const head = refs.find((r) => r.name === 'HEAD');
  if (!head) throw new Error(`${url}: the repository has no HEAD (empty?)`);
  const wants = refs.filter((r) => r.name === 'HEAD' || r.name.startsWith('refs/heads/') || r.name.startsWith('refs/tags/')).map((r) => r.oid);

  status(`Fetching ${wants.length} refs…`);
  const pack = await fetchPack(url, wants, { onProgress: (t) => status(t.trim().split(/\r|\n/).at(-1)) });

  status(`Indexing a pack of ${pack.length} bytes…`);
  const core = await loadCore();
  const t0 = performance.now();
  const { idx, objects: count } = indexPack(core, pack);
  const indexMs = performance.now() - t0;

  status('Reading history and files…');
  const objects = new Objects(core, core.addSource(memorySource(pack)), pack, idx);
  const commits = log(objects, head.oid);
  const tree = listTree(objects, commits[0].tree);
  postMessage({ type: 'done', head: head.oid, branch: headRef, commits, tree, objects: count, packBytes: pack.length, idxBytes: idx.length, indexMs });
}

onmessage = ({ data }) => {
  if (data?.type !== 'clone') return;
  clone(data.url).catch((err) => postMessage({ type: 'error', message: err?.message ?? String(err) }));
};

// Checking out a tree: the last step of a clone.
//
//   1. walk the trees (the core parses each one and refuses unsafe names),
//      collecting entries in index order and the cache tree;
//   2. fetch missing blobs in one batch (partial clones), then check every
//      `.gitmodules` as fsck does -- all before anything is written;
//   3. read the .gitattributes blobs of the tree (git takes attributes from
//      the index being checked out) and decide each file's conversion, so a
//      setting wasmgit cannot honour fails before anything is written;
//   4. create directories (parents first) and gitlinks;
//   5. read blobs in pack order (so a delta's base is usually still in the
//      core's cache), convert them (host/checkout/convert.ts) and write each
//      file or symbolic link, keeping the stat data of what was written (from
//      WRITER_MIN_FILES files on, a second thread makes the system calls while
//      this one reads on: host/checkout/writer.ts);
//   6. write .git/index (blob ids as stored).
//
// A sparse checkout (`clone --sparse`: cone mode with no directory, so only the
// top-level entries) does steps 2-5 for the top-level entries alone: nothing
// below the top is fetched, read, created or written, and the index keeps every
// entry of the tree, those left out marked skip-worktree with zero stat data,
// as git's unpack_trees() leaves them.
import { CoreError, loadCore, type Core } from '../core/instance.ts';
import { MissingObjectError, ObjectStore, type PackHandle } from '../core/objects.ts';
import { displayPath, FLAG_GITMODULES, FLAG_ODD_MODE, parseTreeTable, TREE_ENTRY, UnsafePathError } from '../core/tree.ts';
import { type CacheTreeNode, type IndexEntry } from '../core/index-file.ts';
import { gitmodulesProblem } from './gitmodules.ts';
import { WorkTree } from './worktree.ts';
import { writeIndex } from './index.ts';
import { Turns } from '../turns.ts';
import { Attributes } from './attributes.ts';
import { Converter, type Conversion } from './convert.ts';
import { DELAYED } from './filter-process.ts';
import { WriterThread } from './writer.ts';
import { threadsAllowed } from '../address-space.ts';
import { EXEC, FILE, LINK, STAT_WORDS, putStat } from './writer-protocol.ts';

export interface CheckoutOptions {
  gitDir: string;
  workTree: string;
  /** The tree to check out (40 hex digits). */
  treeOid: string;
  /** What a long-running filter process is told besides the path and blob: the branch (refs/heads/...) and commit checked out. */
  filterMeta?: { ref?: string; treeish?: string };
  packs: PackHandle[];
  /** Entries written so far and in all, for "Updating files: N% (n/total)". */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /**
   * Partial clones: called with the ids of objects no pack holds, before
   * anything is written (for each missing tree, then once for all missing
   * blobs); resolves to packs that hold them.
   */
  fetchMissing?(oids: string[]): Promise<PackHandle[]>;
  /** The core to run on (default: a fresh instance, whose memory goes with it). */
  core?: Core;
  /**
   * Objects already open (a clone's): read through this store, on its core,
   * instead of registering `packs` again on another; `addPacks` registers what
   * fetchMissing brought and returns the store to read from then.
   */
  objects?: { store: ObjectStore; addPacks(more: PackHandle[]): ObjectStore };
  /**
   * Configuration as git would see it (the user's config and the clone's -c
   * values): core.autocrlf, core.eol, core.attributesFile, filter.<driver>.*.
   * Without it, none of these is set.
   */
  config?(key: string): string | undefined;
  /** Environment for the global attributes file and filter commands (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** What git would print to stderr while checking out (bad attribute lines, failing non-required filters). */
  onMessage?(text: string): void;
  /**
   * Sparse checkout in cone mode with no directory in the cone (what
   * `clone --sparse` starts from: every top-level entry, nothing below):
   * entries below the top get the skip-worktree bit instead of a file.
   */
  sparse?: boolean;
  /**
   * Whether a second thread creates the files (writer.ts). Default: when
   * there are at least WRITER_MIN_FILES, where the overlap repays starting it.
   */
  writerThread?: boolean;
}

const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFGITLINK = 0o160000;
/** Files written between turns of the event loop (each a few hundred microseconds of system calls). */
const FILES_PER_TURN = 32;
const SLASH = Buffer.from('/');
const GITATTRIBUTES = Buffer.from('.gitattributes');
/** Files from which a writer thread pays off: starting one costs ~20-30 ms, writing a file ~15 µs of system calls. */
const WRITER_MIN_FILES = 2000;
/** Deeper trees are refused rather than risking the stack (git 2.42+ has core.maxTreeDepth = 4096 too). */
const MAX_DEPTH = 4096;

interface Node {
  name: Buffer;
  id: Buffer;
  entryCount: number;
  /** The tree's id is what git would compute from the index entries below it. */
  valid: boolean;
  children: Node[];
}

interface Walk {
  paths: Buffer[];
  modes: number[];
  ids: Buffer[];
  dirs: Buffer[];
  /** Each entry's directory: its number in `dirs`, or -1 at the top. */
  parents: number[];
  gitmodules: number[];
  /** Called once the walk has found more than `at` entries. */
  onFiles?: { at: number; start(): void };
}

export async function checkout(opts: CheckoutOptions): Promise<{ files: number }> {
  const shared = opts.objects;
  const core = shared?.store.core ?? opts.core ?? (await loadCore());
  let packs = opts.packs;
  const openStore = () => ObjectStore.open(core, packs);
  let store = shared?.store ?? openStore();
  const addPacks = (more: PackHandle[]) => {
    if (shared) {
      store = shared.addPacks(more);
      return;
    }
    store.close();
    packs = [...packs, ...more];
    store = openStore();
  };
  let writer: WriterThread | null = null;
  let converter: Converter | null = null;
  let finished = false;
  try {
    opts.signal?.throwIfAborted();
    // A partial clone may lack trees too (tree:<depth>, object:type): each
    // missing one is fetched (with its subtrees) and the walk starts again.
    let w: Walk;
    let root: Node;
    let lastMissing = '';
    for (;;) {
      w = { paths: [], modes: [], ids: [], dirs: [], parents: [], gitmodules: [] };
      // A thread for a large checkout is started once the walk has seen
      // enough files, so it boots while the walk goes on.
      if (opts.writerThread !== false && !opts.sparse && !writer && threadsAllowed()) {
        w.onFiles = { at: opts.writerThread ? 0 : WRITER_MIN_FILES, start: () => (writer ??= new WriterThread(opts.workTree)) };
      }
      try {
        root = walkTree(core, store, Buffer.from(opts.treeOid, 'hex'), Buffer.alloc(0), Buffer.alloc(0), -1, w, 0);
        break;
      } catch (err) {
        if (!(err instanceof MissingTreeError) || !opts.fetchMissing || err.tree === lastMissing) throw err;
        lastMissing = err.tree;
        const more = await opts.fetchMissing([err.tree]);
        opts.signal?.throwIfAborted();
        addPacks(more);
      }
    }
    const n = w.paths.length;
    // Which entries reach the work tree: all, or for the top-level cone those
    // without a '/' (gitlinks included, as git matches them like files there).
    const inTree = new Uint8Array(n).fill(1);
    if (opts.sparse) for (let i = 0; i < n; i++) inTree[i] = w.paths[i].includes(0x2f) ? 0 : 1;
    const written = inTree.reduce((a, b) => a + b, 0);

    // Where each blob is (pack order, for reading below); -1 when no pack has it.
    let where: number[] = new Array(n);
    const missing = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (!inTree[i] || w.modes[i] === S_IFGITLINK) continue;
      where[i] = store.locate(w.ids[i]);
      if (where[i] < 0) missing.add(w.ids[i].toString('hex'));
    }
    if (missing.size) {
      if (!opts.fetchMissing) {
        const i = w.ids.findIndex((id, j) => inTree[j] && w.modes[j] !== S_IFGITLINK && missing.has(id.toString('hex')));
        throw new MissingObjectError(`${w.ids[i].toString('hex')} (for '${displayPath(w.paths[i])}')`);
      }
      const more = await opts.fetchMissing([...missing]);
      opts.signal?.throwIfAborted();
      addPacks(more);
      where = w.ids.map((id, i) => (!inTree[i] || w.modes[i] === S_IFGITLINK ? -1 : store.locate(id)));
    }

    for (const i of w.gitmodules) {
      // One a sparse checkout does not write is checked when its blob is here anyway.
      if (!inTree[i] && !store.has(w.ids[i])) continue;
      if (w.modes[i] !== 0o100644 && w.modes[i] !== 0o100755) {
        throw new UnsafePathError(displayPath(w.paths[i]), "'.gitmodules' is not a regular file (gitmodulesBlob)");
      }
      const problem = gitmodulesProblem(readBlob(store, w, i).data);
      if (problem) throw new UnsafePathError(displayPath(w.paths[i]), problem);
    }

    const env = opts.env ?? process.env;
    const config = opts.config ?? (() => undefined);
    const warn = (text: string) => opts.onMessage?.(text);
    const attrBlobs = new Map<string, Uint8Array>();
    for (let i = 0; i < n; i++) {
      // A .gitattributes that is a symbolic link is not read (git: READ_ATTR_NOFOLLOW).
      // One outside a sparse checkout is not needed: it governs only paths outside it.
      if (!inTree[i] || (w.modes[i] !== 0o100644 && w.modes[i] !== 0o100755)) continue;
      const p = w.paths[i];
      if (p.length < 14 || !p.subarray(p.length - 14).equals(GITATTRIBUTES) || (p.length > 14 && p[p.length - 15] !== 0x2f)) continue;
      attrBlobs.set(p.toString('latin1', 0, Math.max(0, p.length - 15)), readBlob(store, w, i).data.slice());
    }
    const attributes = new Attributes({ inTree: attrBlobs, gitDir: opts.gitDir, attributesFile: config('core.attributesFile'), env, warn });
    converter = new Converter({ core, attributes, config, workTree: opts.workTree, env, warn, checkout: opts.filterMeta, signal: opts.signal });
    const plans: (Conversion | null)[] = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      if (inTree[i] && (w.modes[i] === 0o100644 || w.modes[i] === 0o100755)) plans[i] = converter.plan(w.paths[i]);
    }

    const tree = new WorkTree(opts.workTree);
    let done = 0;
    const progress = () => opts.onProgress?.(++done, written);
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (inTree[i] && w.modes[i] !== S_IFGITLINK) order.push(i);
    order.sort((a, b) => where[a] - where[b]);
    // No thread where one cannot start (a tight `ulimit -v`, address-space.ts).
    const useWriter = threadsAllowed() && (opts.writerThread ?? order.length >= WRITER_MIN_FILES);
    // (The walk may have started it: TypeScript does not see assignments in callbacks.)
    const started = writer as WriterThread | null;
    if (useWriter) writer = started ?? new WriterThread(opts.workTree);
    else if (started) {
      // Started by the walk, but too few of the entries are files to write.
      writer = null;
      await started.stop();
    }
    const stats = writer ? WriterThread.statTable(n) : new Uint32Array(n * STAT_WORDS);
    writer?.begin({ stats, pathOf: (i) => w.paths[i], onWritten: (k) => opts.onProgress?.((done += k), written), signal: opts.signal });
    // A sparse checkout of the top level writes nothing that needs a directory.
    if (!opts.sparse) for (const d of w.dirs) tree.mkdir(d);
    // Every directory is now made (and checked) by this checkout, except in a sparse one (whose files have none).
    const parentMade = !opts.sparse;
    // Gitlinks first: they need no object.
    for (let i = 0; i < n; i++) {
      if (!inTree[i] || w.modes[i] !== S_IFGITLINK) continue;
      putStat(stats, i * STAT_WORDS, tree.gitlink(w.paths[i]));
      progress();
    }
    let last = -1;
    let ptr = 0;
    let len = 0;
    const turns = new Turns(opts.signal);
    /** Entries a filter process delayed, by path (latin1). */
    const delayed = new Map<string, number>();
    let k = 0;
    for (const i of order) {
      // A turn every FILES_PER_TURN files; between them only the abort check
      // (an await per file would cost a promise and a microtask each).
      if (k++ % FILES_PER_TURN === FILES_PER_TURN - 1) await turns.take();
      else opts.signal?.throwIfAborted();
      writer?.check();
      // Equal blobs sort together (one place in the packs): read once, write
      // each copy. The blob stays at [ptr, ptr+len) of the core's memory
      // until the next object read.
      if (last < 0 || where[last] !== where[i]) {
        const blob = readBlob(store, w, i).data;
        ptr = blob.byteOffset;
        len = blob.length;
      }
      last = i;
      const plan = plans[i];
      const data = plan ? await converter.apply(plan, w.paths[i], displayPath(w.paths[i]), ptr, len, w.ids[i]) : core.bytes(ptr, len);
      // A filter process that delayed the file gives it after the others (below).
      if (data === DELAYED) {
        delayed.set(w.paths[i].toString('latin1'), i);
        continue;
      }
      const path = w.paths[i];
      const link = w.modes[i] === S_IFLNK;
      if (writer) {
        // The checks are made here, in order; the thread only makes the calls.
        if (link) tree.claimSymlink(path, data);
        else tree.checkParents(path, parentMade && w.parents[i] >= 0);
        // Waiting touches no core memory, so `data` stays valid.
        if (writer.full(path.length + data.length)) await writer.room(path.length + data.length);
        writer.add(link ? LINK : w.modes[i] === 0o100755 ? EXEC : FILE, i, path, data);
        continue;
      }
      const st = link ? tree.symlink(path, data) : tree.writeFile(path, data, w.modes[i] === 0o100755);
      putStat(stats, i * STAT_WORDS, st);
      progress();
    }
    await writer?.finish();
    // finish_delayed_checkout(): the files filter processes delayed, as they become ready.
    await converter.finishDelayed(async (path, data) => {
      const i = delayed.get(path.toString('latin1'))!;
      putStat(stats, i * STAT_WORDS, tree.writeFile(path, data, w.modes[i] === 0o100755));
      progress();
    });

    const entries: IndexEntry[] = new Array(n);
    for (let i = 0; i < n; i++) entries[i] = { path: w.paths[i], mode: w.modes[i], id: w.ids[i], skipWorktree: !inTree[i] };
    const trees: CacheTreeNode[] = [];
    flatten(root, trees);
    writeIndex(core, opts.gitDir, entries, trees, stats);
    finished = true;
    return { files: written };
  } finally {
    // Long-running filters end with the checkout, as with the git command (stopped, if it failed).
    await converter?.close(!finished);
    // Once this resolves, the thread makes no more system calls (a failed clone removes what was written).
    await writer?.stop();
    if (!shared) store.close();
  }
}

/** Reads entry `i`'s blob (a view valid until the next core call), naming the path on failure. */
function readBlob(store: ObjectStore, w: Walk, i: number): { data: Uint8Array } {
  let obj;
  try {
    obj = store.view(w.ids[i]);
  } catch (err) {
    if (err instanceof CoreError) throw new CoreError(`'${displayPath(w.paths[i])}': ${err.message}`, err.code, err.offset);
    throw err;
  }
  if (obj.type !== 'blob') {
    throw new CoreError(`'${displayPath(w.paths[i])}': object ${w.ids[i].toString('hex')} is a ${obj.type}, not a blob`, -1);
  }
  return obj;
}

/** Reads tree `id` at `prefix` (empty or ending in '/') and everything below it into `w`, in index order. */
/** A tree the packs lack: a partial clone fetches it from the promisor remote. */
class MissingTreeError extends MissingObjectError {
  constructor(
    readonly tree: string,
    what: string,
  ) {
    super(what);
  }
}

function walkTree(core: Core, store: ObjectStore, id: Buffer, prefix: Buffer, name: Buffer, dir: number, w: Walk, depth: number): Node {
  if (depth > MAX_DEPTH) throw new UnsafePathError(displayPath(prefix), `trees nest deeper than ${MAX_DEPTH} levels`);
  let obj;
  try {
    obj = store.view(id);
  } catch (err) {
    const at = prefix.length ? `'${displayPath(prefix.subarray(0, -1))}'` : 'the root';
    const hex = id.toString('hex');
    if (err instanceof MissingObjectError) throw new MissingTreeError(hex, `${hex} (the tree at ${at})`);
    if (err instanceof CoreError) throw new CoreError(`tree at ${at}: ${err.message}`, err.code, err.offset);
    throw err;
  }
  if (obj.type !== 'tree') {
    const at = prefix.length ? `'${displayPath(prefix.subarray(0, -1))}'` : 'the root';
    throw new CoreError(`object ${id.toString('hex')} at ${at} is a ${obj.type}, not a tree`, -1);
  }
  const ptr = obj.data.byteOffset;
  const len = obj.data.length;
  // The tree's description is made only for an error: a checkout parses thousands.
  const n = parseTreeTable(core, ptr, len, prefix, () => `tree ${id.toString('hex')} at ${prefix.length ? `'${displayPath(prefix.subarray(0, -1))}'` : 'the root'}`);
  // The core reuses its buffers for the subtrees read below: copy this tree
  // and its table once, and make names and ids views of the copy.
  const data = Buffer.from(core.bytes(ptr, len));
  const table = new DataView(core.bytes(core.exports.treeEntriesPtr(), n * TREE_ENTRY).slice().buffer);
  const node: Node = { name, id, entryCount: 0, valid: true, children: [] };
  for (let k = 0; k < n; k++) {
    const mode = table.getUint32(k * TREE_ENTRY, true);
    const nameOff = table.getUint32(k * TREE_ENTRY + 4, true);
    const nameLen = table.getUint32(k * TREE_ENTRY + 8, true);
    const flags = table.getUint32(k * TREE_ENTRY + 12, true);
    if (flags & FLAG_ODD_MODE) node.valid = false;
    const path = Buffer.allocUnsafe(prefix.length + nameLen);
    prefix.copy(path, 0);
    data.copy(path, prefix.length, nameOff, nameOff + nameLen);
    const entryId = data.subarray(nameOff + nameLen + 1, nameOff + nameLen + 21);
    const gitmodules = (flags & FLAG_GITMODULES) !== 0;
    if (gitmodules) w.gitmodules.push(w.paths.length);
    if (mode === S_IFDIR) {
      if (gitmodules) {
        throw new UnsafePathError(displayPath(path), "'.gitmodules' is not a regular file (gitmodulesBlob)");
      }
      const mark = w.dirs.length;
      w.dirs.push(path);
      const sub = Buffer.allocUnsafe(path.length + 1);
      path.copy(sub, 0);
      sub[path.length] = 0x2f;
      const child = walkTree(core, store, entryId, sub, data.subarray(nameOff, nameOff + nameLen), mark, w, depth + 1);
      if (child.entryCount === 0) {
        // An empty tree has no index entry, so no directory either (as git),
        // and the parent's id cannot be rebuilt from the index.
        w.dirs.length = mark;
        node.valid = false;
      } else {
        node.children.push(child);
        if (!child.valid) node.valid = false;
        node.entryCount += child.entryCount;
      }
    } else {
      w.paths.push(path);
      w.modes.push(mode);
      w.ids.push(entryId);
      w.parents.push(dir);
      node.entryCount++;
      if (w.paths.length > (w.onFiles?.at ?? Infinity)) w.onFiles!.start();
    }
  }
  return node;
}

/** The cache tree in git's write order: a node, then its subtrees by name length, then name. */
function flatten(node: Node, out: CacheTreeNode[]): void {
  out.push({ name: node.name, entryCount: node.valid ? node.entryCount : -1, subtreeCount: node.children.length, id: node.id });
  const kids = [...node.children].sort((a, b) => a.name.length - b.name.length || Buffer.compare(a.name, b.name));
  for (const k of kids) flatten(k, out);
}

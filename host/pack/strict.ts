// `index-pack --strict`, end to end: the core checks every commit, tree and
// tag (as deltas resolve, in whichever thread resolves them, and the objects
// stored whole in one more pass), the findings are worded as git words them
// (fsck.ts); once the .idx is built, every object the commits, trees and tags
// name is looked up (in the pack by the core, else in the repository), and
// the blobs the trees name `.gitmodules` or `.gitattributes` are read and
// checked. Any error throws StrictError with git's fatal message before a
// file is written.
import { loadCore } from '../core/instance.ts';
import type { PackCore } from '../core/pack.ts';
import { ObjectStore } from '../core/objects.ts';
import type { LocalObject } from './fix-thin.ts';
import { checkSpecialBlob, decodeFindings, judgeFindings, judgeLinks, StrictError, TYPE_NAMES } from './fsck.ts';

export { StrictError };

export interface StrictOptions {
  /** Objects outside the pack (the repository's): `.gitmodules` and `.gitattributes` blobs the pack's trees name. */
  lookup?(id: string): Promise<LocalObject | null> | LocalObject | null;
  /** The type (1-4) of an object outside the pack, or null when there is none: what the pack's objects name must exist. */
  typeOf?(id: string): Promise<number | null> | number | null;
  /** Receives each line git would print to standard error ("error: …", "warning: …"). */
  report?(line: string): void;
}

const TYPES: Record<string, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * Runs the remaining checks on `pc` (after pass 2: the objects stored whole)
 * and judges every finding, reporting lines as git prints them; throws
 * StrictError when an object fails. Returns the step that needs the .idx: the
 * special blobs.
 */
export function strictVerdict(
  pc: PackCore,
  workerFindings: Uint8Array[],
  workerLostErrors: boolean,
  opts: StrictOptions,
): { afterIdx(packPath: string, idx: Uint8Array, module: WebAssembly.Module): Promise<void> } {
  pc.fsckBases(0, pc.count);
  const findings = [...workerFindings, pc.takeFindings()].flatMap((b) => decodeFindings(b));
  // A copy of the table (ids, types) only when there is something to word.
  let table = findings.length ? pc.table() : null;
  const hexAt = (e: number) => Buffer.from(table!.ids.subarray(e * 20, e * 20 + 20)).toString('hex');
  const isDelta = (e: number) => table!.types[e] >= 6;
  const verdict = judgeFindings(findings, hexAt, isDelta);
  for (const line of verdict.lines) opts.report?.(line);
  if (verdict.fatal) throw new StrictError(verdict.fatal, verdict.failed);
  // Errors found past the end of a findings buffer (thousands of problems) still fail the pack.
  if (workerLostErrors || pc.fsckLostErrors()) throw new StrictError('fsck error in packed object (more problems than could be listed)');

  return {
    async afterIdx(packPath: string, idx: Uint8Array, module: WebAssembly.Module): Promise<void> {
      const wanted: ['gitmodules' | 'gitattributes', string][] = [];
      const seen = new Set<string>();
      for (const [what, ids] of [['gitmodules', verdict.gitmodules], ['gitattributes', verdict.gitattributes]] as const) {
        for (const id of ids) {
          if (seen.has(`${what} ${id}`)) continue;
          seen.add(`${what} ${id}`);
          wanted.push([what, id]);
        }
      }
      const core = wanted.length ? await loadCore({ module }) : null;
      const store = core ? ObjectStore.open(core, [{ pack: packPath, idx }]) : null;
      try {
        const blobs = async (inPack: boolean) => {
          for (const [what, id] of wanted) {
            // In the pack, git checks the blob as it meets it; from the
            // repository, in fsck_finish() once the pack is done.
            if (store!.has(id) !== inPack) continue;
            let obj: LocalObject | null = null;
            if (inPack) {
              const r = store!.read(id);
              obj = { type: TYPES[r.type], data: r.data };
            } else if (opts.lookup) obj = await opts.lookup(id);
            const r = checkSpecialBlob(what, id, obj);
            for (const line of r.lines) opts.report?.(line);
            if (r.failed) throw new StrictError(inPack ? 'fsck error in packed object' : 'fsck error in pack objects', id);
          }
        };
        if (store) await blobs(true);

        // Connectivity: links of the wrong type inside the pack, then what the pack lacks.
        const missing = pc.missingLinks();
        const linkFindings = decodeFindings(pc.takeFindings());
        if (linkFindings.length) {
          table ??= pc.table();
          const bad = judgeLinks(linkFindings, hexAt, isDelta);
          for (const line of bad.lines) opts.report?.(line);
          throw new StrictError(bad.fatal, bad.failed);
        }
        for (const [id, expected] of missing) {
          // git knows the empty tree without storing it (object-file.c cached_objects).
          const actual = (opts.typeOf ? await opts.typeOf(id) : null) ?? (id === EMPTY_TREE ? 2 : null);
          if (actual === null) throw new StrictError(`did not receive expected object ${id}`, id);
          if (actual !== expected) throw new StrictError(`object ${id}: expected type ${TYPE_NAMES[expected]}, found ${TYPE_NAMES[actual]}`, id);
        }

        if (store) await blobs(false);
      } finally {
        store?.close();
      }
    },
  };
}

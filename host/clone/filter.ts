// --filter=<spec>: checked and written down as git does
// (list-objects-filter-options.c). A spec git would refuse is refused with
// git's message before anything is fetched; the spec kept in
// remote.<name>.partialclonefilter is git's expanded form (blob:limit in
// bytes), since later fetches send it again.
import { CloneError } from '../errors.ts';

const OBJECT_TYPES = new Set(['blob', 'tree', 'commit', 'tag']);
/** Characters a sub-filter of combine: must percent-encode (git's RESERVED_NON_WS, and whitespace). */
const RESERVED = new Set([...'~`!@#$^&*()[]{}\\;\'",<>?']);

/** An unsigned number with an optional k, m or g, as git_parse_ulong reads it; null when it is not one. */
function parseUlong(text: string): number | null {
  const m = /^(\d+)([kmg]?)$/i.exec(text);
  if (!m) return null;
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
}

function fail(message: string): never {
  throw new CloneError(message);
}

function check(spec: string, top: boolean): void {
  if (spec === 'blob:none') return;
  if (spec.startsWith('blob:limit=')) {
    if (parseUlong(spec.slice('blob:limit='.length)) !== null) return;
  } else if (spec.startsWith('tree:')) {
    if (parseUlong(spec.slice('tree:'.length)) === null) fail("expected 'tree:<depth>'");
    return;
  } else if (spec.startsWith('sparse:oid=')) {
    return;
  } else if (spec.startsWith('sparse:path=')) {
    fail('sparse:path filters support has been dropped');
  } else if (spec.startsWith('object:type=')) {
    const type = spec.slice('object:type='.length);
    if (!OBJECT_TYPES.has(type)) fail(`'${type}' for 'object:type=<type>' is not a valid object type`);
    return;
  } else if (spec.startsWith('combine:') && top) {
    const subs = spec.slice('combine:'.length);
    if (!subs) fail('expected something after combine:');
    for (const sub of subs.split('+')) {
      for (const c of sub) if (RESERVED.has(c) || /\s/.test(c)) fail(`must escape char in sub-filter-spec: '${c}'`);
      let decoded: string;
      try {
        decoded = decodeURIComponent(sub);
      } catch {
        fail(`invalid filter-spec '${spec}'`);
      }
      check(decoded, false);
    }
    return;
  }
  fail(`invalid filter-spec '${spec}'`);
}

/** Checks `spec` as git does and returns the form git records (blob:limit in bytes). */
export function filterSpec(spec: string): string {
  check(spec, true);
  if (spec.startsWith('blob:limit=')) return `blob:limit=${parseUlong(spec.slice('blob:limit='.length))}`;
  return spec;
}

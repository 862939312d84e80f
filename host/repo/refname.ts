// Ref name rules of `git check-ref-format` (refs.c: check_refname_component and
// the manual page's list). Names come from a server the user may not trust and end
// up as file paths under .git/, so every name is checked before it is written.
import { InvalidRefNameError } from '../errors.ts';

// refs.c keeps a disposition per byte (refname_disposition); this is the part
// the fast check needs: 1 for bytes that are never allowed (controls, DEL and
// ` ~^:?*[\`), 2 for the ones whose meaning depends on their neighbours
// ('/', '.', '{'), 0 for the rest. Bytes from 0x80 up (UTF-8) are allowed.
const CLASS = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) CLASS[c] = 1;
CLASS[0x7f] = 1;
for (const ch of ' ~^:?*[\\') CLASS[ch.charCodeAt(0)] = 1;
for (const ch of '/.{') CLASS[ch.charCodeAt(0)] = 2;

const SLASH = 0x2f;
const DOT = 0x2e;
const AT = 0x40;
const OPEN_BRACE = 0x7b;

/** `…/x.lock` or `x.lock` ending just before `end`. */
function lockSuffixBefore(name: string, start: number, end: number): boolean {
  return (
    end - start >= 5 &&
    name.charCodeAt(end - 5) === DOT &&
    name.charCodeAt(end - 4) === 0x6c && // l
    name.charCodeAt(end - 3) === 0x6f && // o
    name.charCodeAt(end - 2) === 0x63 && // c
    name.charCodeAt(end - 1) === 0x6b // k
  );
}

/**
 * One pass over the name, true when it breaks none of the rules. A clone checks
 * every advertised ref (tens of thousands for some repositories), nearly all of
 * them valid: they take this path; a name it does not pass goes to the rule by
 * rule check below, which says what is wrong.
 */
function plainlyValid(name: string, allowOnelevel: boolean): boolean {
  const n = name.length;
  if (n === 0) return false;
  let prev = SLASH; // the name starts a component, as after a '/'
  let compStart = 0;
  let slashes = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 128) {
      const k = CLASS[c];
      if (k === 1) return false;
      if (k === 2) {
        if (c === SLASH) {
          if (prev === SLASH || lockSuffixBefore(name, compStart, i)) return false; // empty component, `.lock`
          slashes++;
          compStart = i + 1;
        } else if (c === DOT) {
          if (prev === DOT || prev === SLASH) return false; // `..`, a component starting with '.'
        } else if (prev === AT) return false; // `@{`
      }
    }
    prev = c;
  }
  if (prev === SLASH || prev === DOT || lockSuffixBefore(name, compStart, n)) return false;
  if (slashes === 0) return allowOnelevel && !(n === 1 && prev === AT);
  return true;
}

/** Returns why `name` is not a valid ref name, or null when it is. */
export function refNameProblem(name: string, opts?: { allowOnelevel?: boolean }): string | null {
  if (plainlyValid(name, !!opts?.allowOnelevel)) return null;
  if (name === '') return 'it is empty';
  if (name === '@') return "it is the single character '@'";
  if (name.startsWith('/')) return "it begins with '/'";
  if (name.endsWith('/')) return "it ends with '/'";
  if (name.endsWith('.')) return "it ends with '.'";
  if (name.includes('//')) return 'it contains consecutive slashes';
  if (name.includes('..')) return "it contains '..'";
  if (name.includes('@{')) return "it contains '@{'";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `it contains the control character 0x${c.toString(16).padStart(2, '0')}`;
    const ch = name[i];
    if (' ~^:?*[\\'.includes(ch)) return `it contains '${ch}'`;
  }
  for (const comp of name.split('/')) {
    if (comp.startsWith('.')) return `its component '${comp}' begins with '.'`;
    if (comp.endsWith('.lock')) return `its component '${comp}' ends with '.lock'`;
  }
  if (!opts?.allowOnelevel && !name.includes('/')) return "it has no '/'";
  return null;
}

/** Throws InvalidRefNameError naming the ref and the rule it breaks. */
export function assertRefName(name: string, opts?: { allowOnelevel?: boolean }): void {
  const why = refNameProblem(name, opts);
  if (why) throw new InvalidRefNameError(name, why);
}

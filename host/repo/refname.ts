// Ref name rules of `git check-ref-format` (refs.c: check_refname_component and
// the manual page's list). Names come from a server the user may not trust and end
// up as file paths under .git/, so every name is checked before it is written.
import { InvalidRefNameError } from '../errors.ts';

/** Returns why `name` is not a valid ref name, or null when it is. */
export function refNameProblem(name: string, opts: { allowOnelevel?: boolean } = {}): string | null {
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
  if (!opts.allowOnelevel && !name.includes('/')) return "it has no '/'";
  return null;
}

/** Throws InvalidRefNameError naming the ref and the rule it breaks. */
export function assertRefName(name: string, opts: { allowOnelevel?: boolean } = {}): void {
  const why = refNameProblem(name, opts);
  if (why) throw new InvalidRefNameError(name, why);
}

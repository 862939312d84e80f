// The directory `git clone <repository>` creates when none is given
// (dir.c: git_url_basename): the last path component of the URL, with the
// scheme, credentials, trailing slashes, `/.git`, a lone `:port` and a `.git`
// suffix (`.bundle` for a bundle file) stripped, whitespace and control
// characters collapsed; `<name>.git` for a bare clone.
import { CloneError } from '../errors.ts';

const isSep = (c: string) => c === '/';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

export function guessDirectoryName(repo: string, bare: boolean, bundle = false): string {
  let start = 0;
  let end = repo.length;
  const scheme = repo.indexOf('://');
  if (scheme >= 0) start = scheme + 3;
  // Credentials end at the last '@' of the host part.
  for (let p = start; p < end && !isSep(repo[p]); p++) if (repo[p] === '@') start = p + 1;
  while (start < end && (isSep(repo[end - 1]) || isSpace(repo[end - 1]))) end--;
  if (end - start > 5 && isSep(repo[end - 5]) && repo.slice(end - 4, end) === '.git') {
    end -= 5;
    while (start < end && isSep(repo[end - 1])) end--;
  }
  const fail = () => new CloneError('No directory name could be guessed.\nPlease specify a directory on the command line', { url: repo });
  if (end < start) throw fail();
  // `host:port` with no path: drop the port so `host` is guessed.
  const mid = repo.slice(start, end);
  if (!mid.includes('/') && mid.includes(':')) {
    let p = end;
    while (start < p && /[0-9]/.test(repo[p - 1])) p--;
    if (start < p && repo[p - 1] === ':') end = p - 1;
  }
  // The last component; ':' also separates, so `host:repo.git` gives `repo`.
  let p = end;
  while (start < p && !isSep(repo[p - 1]) && repo[p - 1] !== ':') p--;
  start = p;
  let name = repo.slice(start, end);
  const suffix = bundle ? '.bundle' : '.git';
  if (name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  if (!name.length || name === '/') throw fail();
  if (bare) name += '.git';
  // Control characters become spaces; runs of whitespace collapse; ends trimmed.
  let out = '';
  let prevSpace = true;
  for (let ch of name) {
    if (ch.charCodeAt(0) < 0x20) ch = ' ';
    if (isSpace(ch)) {
      if (prevSpace) continue;
      prevSpace = true;
    } else prevSpace = false;
    out += ch;
  }
  if (out.length && prevSpace) out = out.slice(0, -1);
  return out;
}

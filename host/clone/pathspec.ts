// Pathspecs as `submodule.active` holds them (gitglossary "pathspec";
// pathspec.c, dir.c: match_pathspec_item, wildmatch.c): a path matches when
// some positive item matches it and no `:(exclude)` item does. An item is a
// literal prefix ("mods" matches "mods/a") or, when it holds `*?[\`, a
// wildmatch pattern whose `*` crosses `/` unless `:(glob)` is given.
// Everything works on the UTF-8 bytes (one latin1 char per byte), as git's C does.
import { CloneError } from '../errors.ts';

interface Item {
  /** The normalized pattern, bytes as latin1 chars. */
  match: string;
  /** Length of the leading part without glob characters. */
  plain: number;
  icase: boolean;
  glob: boolean;
  exclude: boolean;
}

export interface Pathspec {
  /** Does `path` (from the top of the work tree) match? `isDir`: "a/" also matches the directory "a". */
  matches(path: string, isDir?: boolean): boolean;
}

const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const isGlobSpecial = (c: string) => c === '*' || c === '?' || c === '[' || c === '\\';
// sane-ctype.h GIT_PATHSPEC_MAGIC: the characters that may be short-form magic.
const SHORT_MAGIC_CLASS = '!"#%&,-:;<=>@_`~^/';

function fail(message: string): never {
  throw new CloneError(message);
}

/** setup.c: normalize_path_copy — drop `.` and empty components, resolve `..`, keep a trailing `/`. */
function normalize(path: string, elt: string): string {
  const out: string[] = [];
  const parts = path.split('/');
  const trailing = path.length > 0 && (path.endsWith('/') || /(^|\/)\.\.?$/.test(path));
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (!out.length) fail(`${elt}: '${elt}' is outside repository at the top of the work tree`);
      out.pop();
    } else out.push(p);
  }
  return out.join('/') + (trailing && out.length ? '/' : '');
}

function parseItem(elt: string): Item {
  const item: Item = { match: '', plain: 0, icase: false, glob: false, exclude: false };
  let literal = false;
  let rest = elt;
  if (elt.startsWith(':(')) {
    const close = elt.indexOf(')');
    if (close < 0) fail(`Missing ')' at the end of pathspec magic in '${elt}'`);
    for (const word of elt.slice(2, close).split(',')) {
      if (word === 'top' || word === '') continue;
      else if (word === 'literal') literal = true;
      else if (word === 'glob') item.glob = true;
      else if (word === 'icase') item.icase = true;
      else if (word === 'exclude') item.exclude = true;
      else if (word.startsWith('prefix:')) continue;
      else if (word.startsWith('attr:')) fail(`'${elt}': the attr pathspec magic is not supported by wasmgit`);
      else fail(`Invalid pathspec magic '${word}' in '${elt}'`);
    }
    rest = elt.slice(close + 1);
  } else if (elt.startsWith(':')) {
    let i = 1;
    for (; i < elt.length && elt[i] !== ':'; i++) {
      const c = elt[i];
      if (c === '/') continue;
      if (c === '!' || c === '^') item.exclude = true;
      else if (SHORT_MAGIC_CLASS.includes(c)) fail(`Unimplemented pathspec magic '${c}' in '${elt}'`);
      else break;
    }
    if (elt[i] === ':') i++;
    rest = elt.slice(i);
  }
  if (literal && item.glob) fail(`'literal' and 'glob' pathspec magic cannot be used together in '${elt}'`);
  item.match = bytes(normalize(rest, elt));
  let plain = 0;
  if (literal) plain = item.match.length;
  else while (plain < item.match.length && !isGlobSpecial(item.match[plain])) plain++;
  item.plain = plain;
  return item;
}

/** Parses pathspec strings as git's parse_pathspec() does for config values; throws git's message on bad magic. */
export function parsePathspec(elements: string[]): Pathspec {
  const items = elements.map((e) => {
    if (e === '') fail('empty string is not a valid pathspec. please use . instead if you meant to match all paths');
    return parseItem(e);
  });
  // parse_pathspec(): when every item excludes, an implicit "match everything" is the positive one.
  if (items.length && items.every((i) => i.exclude)) items.push(parseItem('.'));
  const positive = items.filter((i) => !i.exclude);
  const negative = items.filter((i) => i.exclude);
  return {
    matches(path, isDir = false) {
      const name = bytes(path);
      return positive.some((i) => matchItem(i, name, isDir)) && !negative.some((i) => matchItem(i, name, isDir));
    },
  };
}

function matchItem(item: Item, name: string, isDir: boolean): boolean {
  const m = item.match;
  if (!m) return true;
  const fold = (s: string) => (item.icase ? s.replace(/[A-Z]/g, (c) => c.toLowerCase()) : s);
  const head = fold(name.slice(0, m.length));
  const fm = fold(m);
  if (m.length <= name.length && head === fm) {
    if (m.length === name.length || m.endsWith('/') || name[m.length] === '/') return true;
  } else if (isDir && m.endsWith('/') && name.length === m.length - 1 && fold(name) === fm.slice(0, -1)) return true;
  if (item.plain < m.length) return wildmatch(m, name, { pathname: item.glob, icase: item.icase });
  return false;
}

/**
 * wildmatch.c: `?` one byte, `*` any run, `[...]` a class (`!`/`^` negate,
 * ranges, `[:alpha:]`), `\` quotes. With `pathname`, `*` and `?` stop at `/`
 * and `**` between slashes crosses any number of directories.
 */
export function wildmatch(pattern: string, text: string, o: { pathname?: boolean; icase?: boolean } = {}): boolean {
  return dowild(pattern, 0, text, 0, !!o.pathname, !!o.icase) === MATCH;
}

const MATCH = 0;
const NOMATCH = 1;
const ABORT_ALL = 2;
const ABORT_TO_STARSTAR = 3;

const lower = (c: string) => (c >= 'A' && c <= 'Z' ? c.toLowerCase() : c);
const CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /[A-Za-z0-9]/.test(c),
  alpha: (c) => /[A-Za-z]/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: (c) => c >= '0' && c <= '9',
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => c >= 'a' && c <= 'z',
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127 && !/[A-Za-z0-9]/.test(c),
  space: (c) => ' \t\n\v\f\r'.includes(c),
  upper: (c) => c >= 'A' && c <= 'Z',
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

function dowild(p: string, pi: number, t: string, ti: number, pathname: boolean, icase: boolean): number {
  for (; pi < p.length; pi++, ti++) {
    let pc = p[pi];
    if (ti >= t.length && pc !== '*') return ABORT_ALL;
    let tc = ti < t.length ? t[ti] : '';
    if (icase) tc = lower(tc);
    switch (pc) {
      case '?':
        if (pathname && tc === '/') return NOMATCH;
        continue;
      case '*': {
        let matchSlash: boolean;
        if (p[pi + 1] === '*') {
          const prevIsSlash = pi === 0 || p[pi - 1] === '/';
          pi++;
          while (p[pi + 1] === '*') pi++;
          const next = p[pi + 1];
          if (prevIsSlash && (next === undefined || next === '/' || (next === '\\' && p[pi + 2] === '/'))) {
            // "**/" may stand for no directory at all: try the rest right here.
            if (next === '/' && dowild(p, pi + 2, t, ti, pathname, icase) === MATCH) return MATCH;
            matchSlash = true;
          } else matchSlash = !pathname;
        } else matchSlash = !pathname;
        pi++;
        if (pi >= p.length) {
          // A trailing `*` matches the rest unless it would have to cross a slash.
          return !matchSlash && t.indexOf('/', ti) >= 0 ? NOMATCH : MATCH;
        }
        if (!matchSlash && p[pi] === '/') {
          // `*/` with pathname: the star takes the rest of this component.
          const slash = t.indexOf('/', ti);
          if (slash < 0) return NOMATCH;
          ti = slash;
          continue;
        }
        while (ti < t.length) {
          const r = dowild(p, pi, t, ti, pathname, icase);
          if (r !== NOMATCH) {
            if (!matchSlash || r !== ABORT_TO_STARSTAR) return r;
          } else if (!matchSlash && t[ti] === '/') return ABORT_TO_STARSTAR;
          ti++;
        }
        return ABORT_ALL;
      }
      case '[': {
        pc = p[++pi];
        if (pc === '!') pc = '^';
        const negated = pc === '^';
        if (negated) pc = p[++pi];
        let prev = '';
        let matched = false;
        do {
          if (pc === undefined) return ABORT_ALL;
          if (pc === '\\') {
            pc = p[++pi];
            if (pc === undefined) return ABORT_ALL;
            if (tc === pc) matched = true;
          } else if (pc === '-' && prev && p[pi + 1] !== undefined && p[pi + 1] !== ']') {
            pc = p[++pi];
            if (pc === '\\') {
              pc = p[++pi];
              if (pc === undefined) return ABORT_ALL;
            }
            if (tc <= pc && tc >= prev) matched = true;
            else if (icase && tc >= 'a' && tc <= 'z') {
              const up = tc.toUpperCase();
              if (up <= pc && up >= prev) matched = true;
            }
            pc = '';
          } else if (pc === '[' && p[pi + 1] === ':') {
            const start = pi + 2;
            let end = start;
            while (end < p.length && p[end] !== ']') end++;
            if (end >= p.length) return ABORT_ALL;
            if (end - start < 1 || p[end - 1] !== ':') {
              // No ":]": a plain '[' in the set (and, as in git, not a range start).
              pi = start - 2;
              if (tc === '[') matched = true;
              pc = p[++pi];
              continue;
            } else {
              const cls = CLASSES[p.slice(start, end - 1)];
              if (!cls) return ABORT_ALL;
              if (cls(tc) || (icase && p.slice(start, end - 1) === 'upper' && tc >= 'a' && tc <= 'z')) matched = true;
              pi = end;
              pc = '';
            }
          } else if (tc === pc) matched = true;
          prev = pc;
          pc = p[++pi];
        } while (pc !== ']');
        if (matched === negated || (pathname && tc === '/')) return NOMATCH;
        continue;
      }
      case '\\':
        // The quoted character is compared as it is (git folds only unquoted ones).
        if ((p[++pi] ?? '') !== tc) return NOMATCH;
        continue;
      default:
        if ((icase ? lower(pc) : pc) !== tc) return NOMATCH;
        continue;
    }
  }
  return ti >= t.length ? MATCH : NOMATCH;
}

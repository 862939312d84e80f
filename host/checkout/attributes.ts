// Path attributes (gitattributes(5)), as git's attr.c computes them for a
// checkout: from the .gitattributes blobs of the tree being checked out
// (git reads them from the index it is checking out), plus the system,
// global and $GIT_DIR/info/attributes files.
//
// Priority, highest first (attr.c bootstrap_attr_stack / prepare_attr_stack):
//   $GIT_DIR/info/attributes
//   .gitattributes of the path's directory, then of each parent up to the root
//   core.attributesFile (default $XDG_CONFIG_HOME/git/attributes, ~/.config/git/attributes)
//   /etc/gitattributes (unless GIT_ATTR_NOSYSTEM)
//   the built-in macro `[attr]binary -diff -merge -text`
// Within one file a later line wins. The first source to say anything about an
// attribute (set, `-` unset, `!` back to unspecified, `=value`) decides it; a
// macro set on a path sets its attributes too, where nothing decided them yet.
// `[attr]` macros may be defined everywhere but in nested .gitattributes.
//
// Paths and patterns are bytes; they are handled here as latin1 strings (one
// character per byte), which keeps wildmatch byte-exact.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { wildmatch } from '../clone/pathspec.ts';

/** set (true), unset (false), a value, or unspecified (undefined). */
export type AttrValue = boolean | string | undefined;

/** `null` is `!attr`: explicitly back to unspecified, which still hides lower rules. */
type StateValue = boolean | string | null;
interface State { name: string; value: StateValue }
interface Rule {
  /** A `[attr]` line: the macro's name is states[0], what it sets the rest. */
  macro: boolean;
  pattern: string;
  /** Length of the pattern's literal head (before any of `*?[\`). */
  literal: number;
  /** No slash in the pattern: matched against the basename at any depth. */
  basenameOnly: boolean;
  /** `*literal`: matched as a suffix. */
  endsWith: boolean;
  /** A trailing slash: matches directories only, so never a file. */
  dirOnly: boolean;
  states: State[];
}
interface Frame { base: string; rules: Rule[] }

const MAX_LINE = 2048;
const MAX_FILE = 100 * 1024 * 1024;
const BLANK = ' \t\r\n';

export interface AttributeSources {
  /** .gitattributes contents by directory ('' for the root, else `a/b`), paths as latin1 strings. */
  inTree: Map<string, Uint8Array>;
  gitDir?: string;
  /** core.attributesFile, if configured. */
  attributesFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives what git prints about a bad line (the text git writes to stderr, without newline). */
  warn?(message: string): void;
}

export class Attributes {
  private readonly low: Frame[] = [];
  private readonly dirs = new Map<string, Frame>();
  private readonly info: Frame;
  private readonly macros = new Map<string, State[]>();

  constructor(src: AttributeSources) {
    const env = src.env ?? process.env;
    const warn = src.warn ?? (() => {});
    this.low.push(parseAttributes('[attr]binary -diff -merge -text', '[builtin]', true, '', warn));
    if (!envBool(env.GIT_ATTR_NOSYSTEM)) pushFile(this.low, '/etc/gitattributes', warn);
    const global = globalAttributesFile(src.attributesFile, env);
    if (global) pushFile(this.low, global, warn);
    for (const [dir, bytes] of src.inTree) {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      const name = dir ? `${dir}/.gitattributes` : '.gitattributes';
      if (bytes.length >= MAX_FILE) {
        warn(`warning: ignoring overly large gitattributes blob '${name}'`);
        continue;
      }
      // A blob is read as a C string: nothing after a NUL counts.
      const nul = text.indexOf('\0');
      this.dirs.set(dir, parseAttributes(nul < 0 ? text : text.slice(0, nul), name, dir === '', dir, warn));
    }
    const info: Frame[] = [];
    if (src.gitDir) pushFile(info, join(src.gitDir, 'info', 'attributes'), warn);
    this.info = info[0] ?? { base: '', rules: [] };
    // determine_macros(): the highest-priority definition of each macro wins.
    for (const f of [...this.low, this.dirs.get(''), this.info]) {
      for (const r of f?.rules ?? []) if (r.macro) this.macros.set(r.states[0].name, r.states.slice(1));
    }
    this.none = ![...this.low, ...this.dirs.values(), this.info].some((f) => f.rules.some((r) => !r.macro));
  }

  /** No rule names any path (macros alone decide nothing): every lookup is empty. */
  readonly none: boolean;

  /** The attributes `names` of the file at `path` (repository-relative, latin1). */
  get(path: string, names: string[]): Record<string, AttrValue> {
    const got = this.collect(path);
    const out: Record<string, AttrValue> = {};
    for (const n of names) {
      const v = got.get(n);
      out[n] = v === null ? undefined : v;
    }
    return out;
  }

  /** Every attribute specified for `path` (set, unset or a value), as `git check-attr --all` lists them. */
  all(path: string): Map<string, boolean | string> {
    const out = new Map<string, boolean | string>();
    for (const [k, v] of this.collect(path)) if (v !== null) out.set(k, v);
    return out;
  }

  /** collect_some_attrs(): every attribute some rule decides for `path`. */
  private collect(path: string): Map<string, StateValue> {
    const got = new Map<string, StateValue>();
    const frames: Frame[] = [this.info];
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const f = this.dirs.get(path.slice(0, i));
      if (f) frames.push(f);
    }
    const root = this.dirs.get('');
    if (root) frames.push(root);
    for (let i = this.low.length - 1; i >= 0; i--) frames.push(this.low[i]);
    const slash = path.lastIndexOf('/');
    const basename = path.slice(slash + 1);
    for (const f of frames) {
      for (let i = f.rules.length - 1; i >= 0; i--) {
        const r = f.rules[i];
        if (r.macro || !matches(r, path, basename, f.base)) continue;
        this.fill(r.states, got);
      }
    }
    return got;
  }

  /** fill_one(): the line's last state first; a macro set here expands where nothing is decided yet. */
  private fill(states: State[], got: Map<string, StateValue>): void {
    for (let i = states.length - 1; i >= 0; i--) {
      const s = states[i];
      if (got.has(s.name)) continue;
      got.set(s.name, s.value);
      const macro = this.macros.get(s.name);
      if (macro && s.value === true) this.fill(macro, got);
    }
  }
}

/** The file git reads as the global attributes: core.attributesFile, else the XDG location. */
export function globalAttributesFile(configured: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configured !== undefined) {
    if (configured === '~' || configured.startsWith('~/')) return join(env.HOME ?? homedir(), configured.slice(1));
    return configured;
  }
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'git', 'attributes');
  if (env.HOME) return join(env.HOME, '.config', 'git', 'attributes');
  return undefined;
}

function envBool(v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.toLowerCase();
  return !(s === '' || s === '0' || s === 'false' || s === 'no' || s === 'off');
}

/** A file of attributes (system, global, info): macros allowed, a UTF-8 BOM skipped; missing is fine. */
function pushFile(stack: Frame[], file: string, warn: (m: string) => void): void {
  if (!existsSync(file)) return;
  let text: string;
  try {
    if (statSync(file).size >= MAX_FILE) {
      warn(`warning: ignoring overly large gitattributes file '${file}'`);
      return;
    }
    text = readFileSync(file).toString('latin1');
  } catch {
    return;
  }
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  // Each line is read as a C string: a NUL ends that line.
  const lines = text.split('\n').map((l) => {
    const z = l.indexOf('\0');
    return z < 0 ? l : l.slice(0, z);
  });
  stack.push(parseAttributes(lines.join('\n'), file, true, '', warn));
}

/**
 * Parses one attributes file (parse_attr_line() per line). `base` is the
 * directory it applies to ('' for the root and the non-tree files).
 */
export function parseAttributes(text: string, src: string, macroOk: boolean, base: string, warn: (m: string) => void): Frame {
  const rules: Rule[] = [];
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const r = parseLine(line, src, i + 1, macroOk, warn);
    if (r) rules.push(r);
  });
  return { base, rules };
}

const skipBlank = (s: string, i: number) => {
  while (i < s.length && BLANK.includes(s[i])) i++;
  return i;
};
const toBlank = (s: string, i: number) => {
  while (i < s.length && !BLANK.includes(s[i])) i++;
  return i;
};

/** An attribute name: [-._0-9a-zA-Z], not empty, not starting with '-'. */
function validName(name: string): boolean {
  return /^[._0-9a-zA-Z][-._0-9a-zA-Z]*$/.test(name);
}

function parseLine(line: string, src: string, lineno: number, macroOk: boolean, warn: (m: string) => void): Rule | null {
  let cp = skipBlank(line, 0);
  if (cp >= line.length || line[cp] === '#') return null;
  if (line.length >= MAX_LINE) {
    warn(`warning: ignoring overly long attributes line ${lineno}`);
    return null;
  }
  let name: string;
  let states: number;
  const quoted = line[cp] === '"' ? unquoteC(line, cp) : null;
  if (quoted) {
    name = quoted.text;
    states = quoted.end;
  } else {
    const end = toBlank(line, cp);
    name = line.slice(cp, end);
    states = end;
  }
  let macro: string | null = null;
  if (name.length > 6 && name.startsWith('[attr]')) {
    if (!macroOk) {
      warn(`${line.slice(cp)} not allowed: ${src}:${lineno}`);
      return null;
    }
    const rest = name.slice(6);
    const start = skipBlank(rest, 0);
    macro = rest.slice(start, toBlank(rest, start));
    if (!validName(macro)) {
      warn(`${macro} is not a valid attribute name: ${src}:${lineno}`);
      return null;
    }
  }
  const list: State[] = [];
  for (let i = skipBlank(line, states); i < line.length; ) {
    const ep = toBlank(line, i);
    const word = line.slice(i, ep);
    const eq = word.indexOf('=');
    let attr = eq < 0 ? word : word.slice(0, eq);
    let value: StateValue;
    if (attr[0] === '-' || attr[0] === '!') {
      value = attr[0] === '-' ? false : null;
      attr = attr.slice(1);
    } else value = eq < 0 ? true : word.slice(eq + 1);
    if (!validName(attr)) {
      warn(`${attr} is not a valid attribute name: ${src}:${lineno}`);
      return null;
    }
    list.push({ name: attr, value });
    i = skipBlank(line, ep);
  }
  if (macro !== null) {
    return { macro: true, pattern: '', literal: 0, basenameOnly: false, endsWith: false, dirOnly: false, states: [{ name: macro, value: true }, ...list] };
  }
  // parse_path_pattern()
  if (name[0] === '!') {
    warn("warning: Negative patterns are ignored in git attributes\nUse '\\!' for literal leading exclamation.");
    return null;
  }
  let pattern = name;
  let dirOnly = false;
  if (pattern.endsWith('/')) {
    pattern = pattern.slice(0, -1);
    dirOnly = true;
  }
  const literal = literalLength(pattern);
  return {
    macro: false,
    pattern,
    literal,
    basenameOnly: !pattern.includes('/'),
    endsWith: pattern[0] === '*' && literalLength(pattern.slice(1)) === pattern.length - 1,
    dirOnly,
    states: list,
  };
}

function literalLength(p: string): number {
  for (let i = 0; i < p.length; i++) if ('*?[\\'.includes(p[i])) return i;
  return p.length;
}

/** unquote_c_style(): a "..." pattern with C escapes; null when it is not one (then it is taken as written). */
function unquoteC(s: string, i: number): { text: string; end: number } | null {
  let out = '';
  i++;
  for (;;) {
    const c = s[i++];
    if (c === undefined) return null;
    if (c === '"') return { text: out, end: i };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[i++];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (e !== undefined && simple[e] !== undefined) out += simple[e];
    else if (e !== undefined && e >= '0' && e <= '3') {
      const d = s.slice(i, i + 2);
      if (!/^[0-7][0-7]$/.test(d)) return null;
      out += String.fromCharCode(parseInt(e + d, 8));
      i += 2;
    } else return null;
  }
}

/** path_matches() for a file (never a directory). */
function matches(r: Rule, path: string, basename: string, base: string): boolean {
  if (r.dirOnly) return false;
  if (r.basenameOnly) {
    // match_basename()
    if (r.literal === r.pattern.length) return r.pattern === basename;
    if (r.endsWith) return basename.endsWith(r.pattern.slice(1));
    return wildmatch(r.pattern, basename);
  }
  // match_pathname(): relative to the file's directory, with FNM_PATHNAME.
  let pattern = r.pattern;
  let literal = r.literal;
  if (pattern[0] === '/') {
    pattern = pattern.slice(1);
    literal--;
  }
  if (base) {
    if (path.length < base.length + 1 || path[base.length] !== '/' || !path.startsWith(base)) return false;
  }
  let name = base ? path.slice(base.length + 1) : path;
  if (literal > 0) {
    if (literal > name.length || pattern.slice(0, literal) !== name.slice(0, literal)) return false;
    pattern = pattern.slice(literal);
    name = name.slice(literal);
    if (!pattern && !name) return true;
  }
  return wildmatch(pattern, name, { pathname: true });
}

// Reading and writing git config files (git-config(1), "CONFIGURATION FILE").
//
// The writer reproduces what `git config` (config.c: git_config_set_multivar_in_file)
// makes of a fresh file, byte for byte: `[section]` / `[section "sub"]` headers,
// `\tkey = value` lines, a value quoted when it has leading or trailing spaces or
// a comment character, `\n \t " \` escaped. Setting a key replaces its last value
// in place; a new key goes at the end of the last section of its name, or into a
// new section at the end of the file. That ordering is what makes our config read
// the same as git's under `git config --list --local`.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';

export interface ConfigKey {
  section: string; // lower-cased, for matching
  sectionText: string; // as given, for a new section header
  subsection?: string; // case kept
  name: string; // as given by the caller (matching is case-insensitive)
}

/** `-c key=value` as git_config_parse_parameter reads it: key canonicalised, a missing value meaning true. */
export function parseConfigParameter(text: string): [string, string] {
  const eq = text.indexOf('=');
  const rawKey = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!rawKey) throw new ConfigError(`bogus config parameter: ${text}`);
  return [canonicalKey(rawKey), eq < 0 ? 'true' : text.slice(eq + 1)];
}

/** Splits `section[.sub].name` as git_config_parse_key does; section and name are matched case-insensitively. */
export function parseConfigKey(key: string): ConfigKey {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first <= 0) throw new ConfigError(`key does not contain a section: ${key}`, key);
  if (last === key.length - 1) throw new ConfigError(`key does not contain variable name: ${key}`, key);
  const section = key.slice(0, first);
  const name = key.slice(last + 1);
  const subsection = first === last ? undefined : key.slice(first + 1, last);
  if (!/^[A-Za-z0-9-]+$/.test(section) || !/^[A-Za-z][A-Za-z0-9-]*$/.test(name) || subsection?.includes('\n')) {
    throw new ConfigError(`invalid key: ${key}`, key);
  }
  return { section: section.toLowerCase(), sectionText: section, subsection, name };
}

/** The canonical form git prints in `git config --list`: section and name lower-cased. */
export function canonicalKey(key: string): string {
  const k = parseConfigKey(key);
  return `${k.section}${k.subsection !== undefined ? `.${k.subsection}` : ''}.${k.name.toLowerCase()}`;
}

function quoteValue(value: string): string {
  const quote = value.startsWith(' ') || value.endsWith(' ') || /[;#]/.test(value) ? '"' : '';
  let out = '';
  for (const ch of value) {
    if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else out += ch;
  }
  return quote + out + quote;
}

function sectionHeader(section: string, subsection?: string): string {
  if (subsection === undefined) return `[${section}]`;
  return `[${section} "${subsection.replace(/["\\]/g, (c) => `\\${c}`)}"]`;
}

interface Section {
  section: string;
  sectionText: string;
  subsection?: string;
  entries: { name: string; value: string }[];
}

/** An in-memory config file that serializes exactly as git writes it. */
export class ConfigWriter {
  private sections: Section[] = [];

  private findSection(k: ConfigKey): Section | undefined {
    for (let i = this.sections.length - 1; i >= 0; i--) {
      const s = this.sections[i];
      if (s.section === k.section && s.subsection === k.subsection) return s;
    }
    return undefined;
  }

  /** `git config key value`: replaces the last value of the key, or adds it. */
  set(key: string, value: string): this {
    const k = parseConfigKey(key);
    const lname = k.name.toLowerCase();
    for (let i = this.sections.length - 1; i >= 0; i--) {
      const s = this.sections[i];
      if (s.section !== k.section || s.subsection !== k.subsection) continue;
      for (let j = s.entries.length - 1; j >= 0; j--) {
        if (s.entries[j].name.toLowerCase() === lname) {
          s.entries[j] = { name: k.name, value };
          return this;
        }
      }
    }
    return this.add(key, value);
  }

  /** `git config --add key value`: appends a value even when the key has one. */
  add(key: string, value: string): this {
    const k = parseConfigKey(key);
    let s = this.findSection(k);
    if (!s) {
      s = { section: k.section, sectionText: k.sectionText, subsection: k.subsection, entries: [] };
      this.sections.push(s);
    }
    s.entries.push({ name: k.name, value });
    return this;
  }

  get(key: string): string | undefined {
    return this.getAll(key).at(-1);
  }

  getAll(key: string): string[] {
    const k = parseConfigKey(key);
    const lname = k.name.toLowerCase();
    const out: string[] = [];
    for (const s of this.sections) {
      if (s.section !== k.section || s.subsection !== k.subsection) continue;
      for (const e of s.entries) if (e.name.toLowerCase() === lname) out.push(e.value);
    }
    return out;
  }

  /** Entries as `git config --list` prints them: [canonical key, value]. */
  list(): [string, string][] {
    const out: [string, string][] = [];
    for (const s of this.sections) {
      const prefix = s.subsection !== undefined ? `${s.section}.${s.subsection}` : s.section;
      for (const e of s.entries) out.push([`${prefix}.${e.name.toLowerCase()}`, e.value]);
    }
    return out;
  }

  toString(): string {
    let out = '';
    for (const s of this.sections) {
      out += `${sectionHeader(s.sectionText, s.subsection)}\n`;
      for (const e of s.entries) out += `\t${e.name} = ${quoteValue(e.value)}\n`;
    }
    return out;
  }
}

/**
 * Parses config text into [canonical key, value] pairs in file order. Value
 * syntax per git-config(1): quotes, `\n \t \b \" \\` escapes, `;`/`#` comments
 * outside quotes, backslash-newline continuation, a bare name meaning true.
 * `file` names the source in error messages.
 */
export function parseConfig(text: string, file = 'config'): [string, string][] {
  const out: [string, string][] = [];
  let prefix: string | null = null;
  let i = 0;
  let line = 1;
  const n = text.length;
  const bad = (): never => {
    throw new ConfigError(`bad config line ${line} in file ${file}`);
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#' || c === ';') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '[') {
      i++;
      let name = '';
      while (i < n && /[A-Za-z0-9.-]/.test(text[i])) name += text[i++];
      if (!name) bad();
      if (text[i] === ']') {
        // `[section.sub]` is the deprecated form: the subsection is lower-cased.
        prefix = name.toLowerCase();
        i++;
        continue;
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] !== '"') bad();
      i++;
      let sub = '';
      while (i < n && text[i] !== '"') {
        if (text[i] === '\n') bad();
        if (text[i] === '\\') i++;
        sub += text[i++];
      }
      if (text[i + 1] !== ']') bad();
      i += 2;
      prefix = `${name.toLowerCase()}.${sub}`;
      continue;
    }
    if (!/[A-Za-z]/.test(c) || prefix === null) bad();
    let key = '';
    while (i < n && /[A-Za-z0-9-]/.test(text[i])) key += text[i++];
    while (text[i] === ' ' || text[i] === '\t') i++;
    const full = `${prefix}.${key.toLowerCase()}`;
    if (i >= n || text[i] === '\n' || text[i] === '#' || text[i] === ';' || text[i] === '\r') {
      out.push([full, 'true']);
      continue;
    }
    if (text[i] !== '=') bad();
    i++;
    let value = '';
    let pendingSpace = '';
    let quoted = false;
    let started = false;
    for (; i < n; i++) {
      const ch = text[i];
      if (ch === '\n') {
        if (quoted) bad();
        break;
      }
      if (!quoted && (ch === ' ' || ch === '\t' || ch === '\r')) {
        if (started) pendingSpace += ch === '\r' ? '' : ch;
        continue;
      }
      if (!quoted && (ch === ';' || ch === '#')) {
        while (i < n && text[i] !== '\n') i++;
        break;
      }
      value += pendingSpace;
      pendingSpace = '';
      started = true;
      if (ch === '\\') {
        const e = text[++i];
        if (e === '\n') { line++; continue; }
        if (e === '\r' && text[i + 1] === '\n') { i++; line++; continue; }
        if (e === 'n') value += '\n';
        else if (e === 't') value += '\t';
        else if (e === 'b') value = value.slice(0, -1);
        else if (e === '"' || e === '\\') value += e;
        else bad();
        continue;
      }
      if (ch === '"') { quoted = !quoted; continue; }
      value += ch;
    }
    out.push([full, value]);
  }
  return out;
}

/**
 * The user's system and global config, as git reads them for a command run
 * outside any repository (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_SYSTEM,
 * GIT_CONFIG_GLOBAL and XDG_CONFIG_HOME honoured; includes are not followed),
 * then the `local` repository config file when given, then the command line's.
 */
export function readUserConfig(env: NodeJS.ProcessEnv = process.env, local?: string): [string, string][] {
  const files: string[] = [];
  if (!env.GIT_CONFIG_NOSYSTEM || env.GIT_CONFIG_NOSYSTEM === '0' || env.GIT_CONFIG_NOSYSTEM === 'false') {
    files.push(env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig');
  }
  if (env.GIT_CONFIG_GLOBAL !== undefined) files.push(env.GIT_CONFIG_GLOBAL);
  else {
    const home = env.HOME ?? homedir();
    files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'));
    files.push(join(home, '.gitconfig'));
  }
  const out: [string, string][] = [];
  for (const f of files) {
    if (!f || f === '/dev/null') continue;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    out.push(...parseConfig(text, f));
  }
  if (local !== undefined) {
    try {
      out.push(...parseConfig(readFileSync(local, 'utf8'), local));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  out.push(...environmentConfig(env));
  return out;
}

/**
 * Configuration given on the command line of a parent git (`git -c k=v`,
 * which exports GIT_CONFIG_PARAMETERS) or through GIT_CONFIG_COUNT with
 * GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>; git reads the counted pairs first
 * (config.c, git_config_from_parameters).
 */
function environmentConfig(env: NodeJS.ProcessEnv): [string, string][] {
  const out: [string, string][] = [];
  const count = env.GIT_CONFIG_COUNT;
  if (count !== undefined && count !== '') {
    const n = Number(count);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`bogus count in GIT_CONFIG_COUNT`);
    for (let i = 0; i < n; i++) {
      const key = env[`GIT_CONFIG_KEY_${i}`];
      const value = env[`GIT_CONFIG_VALUE_${i}`];
      if (key === undefined) throw new ConfigError(`missing config key GIT_CONFIG_KEY_${i}`);
      if (value === undefined) throw new ConfigError(`missing config value GIT_CONFIG_VALUE_${i}`);
      out.push([canonicalKey(key), value]);
    }
  }
  const params = env.GIT_CONFIG_PARAMETERS;
  if (params) {
    // Shell-quoted words (sq_quote): 'key=value', or 'key'='value' since git 2.31.
    let i = 0;
    const word = (): string => {
      if (params[i] !== "'") throw new ConfigError('bogus format in GIT_CONFIG_PARAMETERS');
      let w = '';
      for (;;) {
        const end = params.indexOf("'", i + 1);
        if (end < 0) throw new ConfigError('bogus format in GIT_CONFIG_PARAMETERS');
        w += params.slice(i + 1, end);
        i = end + 1;
        // '\'' and '\!' continue the word with a quote or a bang.
        if (params[i] === '\\' && (params[i + 1] === "'" || params[i + 1] === '!') && params[i + 2] === "'") {
          w += params[i + 1];
          i += 2;
          continue;
        }
        return w;
      }
    };
    while (i < params.length) {
      while (params[i] === ' ') i++;
      if (i >= params.length) break;
      const first = word();
      if (params[i] === '=') {
        i++;
        out.push(params[i] === "'" ? [canonicalKey(first), word()] : [canonicalKey(first), 'true']);
      } else out.push(parseConfigParameter(first));
    }
  }
  return out;
}

/** The last value of `key` (canonical form) among parsed entries. */
export function lastValue(entries: [string, string][], key: string): string | undefined {
  const want = canonicalKey(key);
  let v: string | undefined;
  for (const [k, val] of entries) if (k === want) v = val;
  return v;
}

/**
 * An integer as git_parse_signed() reads one: strtoimax with base 0 (decimal,
 * 0x hex, leading-0 octal) after optional blanks, then nothing or a k, m or g
 * (any case) for 1024, 1024² or 1024³. Undefined when the value is not one.
 */
function parseGitInt(value: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kmgKMG]?)$/.exec(value);
  if (!m) return undefined;
  const d = m[2];
  const n = /^0[xX]/.test(d) ? parseInt(d.slice(2), 16) : d.length > 1 ? parseInt(d, 8) : Number(d);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[3].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return (m[1] === '-' ? -n : n) * unit;
}

/**
 * A numeric value as git parses it (git_config_int): anything but an integer
 * is git's "bad numeric config value" error, naming the key as given.
 */
export function configNumber(value: string, key: string): number {
  const n = parseGitInt(value);
  if (n === undefined) throw new ConfigError(`bad numeric config value '${value}' for '${key}': invalid unit`, key);
  return n;
}

/**
 * git_parse_maybe_bool(): true/yes/on and false/no/off in any case, the empty
 * value (false), or an integer (non-zero is true). Anything else: undefined.
 * A key written without `=` arrives here as 'true', as git reads it.
 */
export function parseMaybeBool(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === 'no' || v === 'off' || v === '') return false;
  const n = parseGitInt(value);
  return n === undefined ? undefined : n !== 0;
}

/** git_config_bool(): a boolean as parseMaybeBool reads it, else git's fatal "bad boolean config value". */
export function configBool(value: string, key: string): boolean {
  const b = parseMaybeBool(value);
  if (b === undefined) throw new ConfigError(`bad boolean config value '${value}' for '${key}'`, key);
  return b;
}

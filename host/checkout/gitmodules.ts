// The `.gitmodules` checks of git's fsck (fsck.c fsck_gitmodules_fn()): a
// submodule name that climbs out with `..`, a URL or path that a later
// `git submodule` would pass to a command as an option, a URL that smuggles a
// newline into credential helpers, or `update = !command`. git reports these
// as fsck errors (gitmodulesName, gitmodulesUrl, gitmodulesPath,
// gitmodulesUpdate); a checkout refuses the tree that holds them.
//
// The file is read with git's config syntax (config.c: git_parse_source(),
// get_base_var(), get_value(), parse_value()). Like fsck, entries before a
// syntax error are checked and the rest is ignored: git stops reading there too.

/** One problem git's fsck reports in a `.gitmodules` blob: its message id and text. */
export interface GitmodulesReport {
  id: 'gitmodulesName' | 'gitmodulesUrl' | 'gitmodulesPath' | 'gitmodulesUpdate' | 'gitmodulesParse';
  message: string;
}

/** Returns the first problem fsck reports for this `.gitmodules` content, or null. */
export function gitmodulesProblem(content: Uint8Array): string | null {
  const first = gitmodulesReports(content).find((r) => r.id !== 'gitmodulesParse');
  return first ? `${first.message} (${first.id})` : null;
}

/**
 * Everything fsck reports for this `.gitmodules` content, in its order: each
 * variable's problems, then gitmodulesParse when the file stops parsing.
 */
export function gitmodulesReports(content: Uint8Array): GitmodulesReport[] {
  const out: GitmodulesReport[] = [];
  const parsed = parseConfig(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1'), (name, value) => {
    out.push(...entryReports(name, value));
  });
  if (!parsed) out.push({ id: 'gitmodulesParse', message: 'could not parse gitmodules blob' });
  return out;
}

const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/** fsck.c fsck_gitmodules_fn(): every problem of one variable. */
function entryReports(name: string, value: string | null): GitmodulesReport[] {
  // parse_config_key(var, "submodule", &subsection, ..., &key)
  if (!name.startsWith('submodule.')) return [];
  const last = name.lastIndexOf('.');
  if (last <= 'submodule'.length) return []; // no subsection
  const sub = name.slice('submodule.'.length, last);
  const key = name.slice(last + 1);
  const out: GitmodulesReport[] = [];
  if (!submoduleNameOk(sub)) out.push({ id: 'gitmodulesName', message: `disallowed submodule name: ${utf8(sub)}` });
  if (value === null) return out;
  if (key === 'url' && !submoduleUrlOk(value)) out.push({ id: 'gitmodulesUrl', message: `disallowed submodule url: ${utf8(value)}` });
  if (key === 'path' && value.startsWith('-')) out.push({ id: 'gitmodulesPath', message: `disallowed submodule path: ${utf8(value)}` });
  if (key === 'update' && value.startsWith('!')) out.push({ id: 'gitmodulesUpdate', message: `disallowed submodule update setting: ${utf8(value)}` });
  return out;
}

const isSep = (c: string | undefined) => c === '/' || c === '\\';

/** submodule-config.c check_submodule_name(): not empty, no `..` component (either separator). */
function submoduleNameOk(name: string): boolean {
  if (!name) return false;
  for (let i = 0; i <= name.length; i++) {
    if (i === 0 || isSep(name[i - 1])) {
      if (name[i] === '.' && name[i + 1] === '.' && (i + 2 === name.length || isSep(name[i + 2]))) return false;
    }
  }
  return true;
}

/** %XX decoding as git's url_decode() (bytes stay bytes: latin1 in, latin1 out). */
function urlDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** fsck.c check_submodule_url(). */
function submoduleUrlOk(url: string): boolean {
  if (url.startsWith('-')) return false;
  if (/^\.\.?[/\\]/.test(url)) {
    // Relative: may be appended to an http URL and decoded.
    if (urlDecode(url).includes('\n')) return false;
    // "../" climbing past the root can rewrite the host part (CVE-2020-11008).
    let rest = url;
    let up = 0;
    for (;;) {
      if (/^\.\.[/\\]/.test(rest)) { up++; rest = rest.slice(3); continue; }
      if (/^\.[/\\]/.test(rest)) { rest = rest.slice(2); continue; }
      break;
    }
    if (up > 0 && (rest.startsWith(':') || rest.startsWith('/'))) return false;
    return true;
  }
  // URLs the curl remote helper handles go through the credential parser.
  let curl: string | null = null;
  const m = /^(https?|ftps?)::/.exec(url);
  if (m) curl = url.slice(m[0].length);
  else if (/^(https?|ftps?):\/\//.test(url)) curl = url;
  if (curl === null) return true;
  return credentialUrlOk(curl);
}

/** credential.c credential_from_url_gently(): a scheme, no newline in any decoded part, a host. */
function credentialUrlOk(url: string): boolean {
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) return false;
  const cp = url.slice(protoEnd + 3);
  const slashAt = cp.search(/[/?#]/);
  const slash = slashAt < 0 ? cp.length : slashAt;
  const at = cp.indexOf('@');
  const colon = cp.indexOf(':');
  const parts: string[] = [url.slice(0, protoEnd)];
  let host: string;
  if (at < 0 || slash <= at) host = cp.slice(0, slash);
  else if (colon < 0 || at <= colon) {
    parts.push(urlDecode(cp.slice(0, at)));
    host = cp.slice(at + 1, slash);
  } else {
    parts.push(urlDecode(cp.slice(0, colon)), urlDecode(cp.slice(colon + 1, at)));
    host = cp.slice(at + 1, slash);
  }
  host = urlDecode(host);
  parts.push(host, urlDecode(cp.slice(slash).replace(/^\/+/, '')));
  if (parts.some((p) => p.includes('\n'))) return false;
  return host.length > 0;
}

// ---- git's config syntax -------------------------------------------------------

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isAlpha = (c: string) => /^[A-Za-z]$/.test(c);
const isKeyChar = (c: string) => /^[A-Za-z0-9-]$/.test(c);

/** Calls `fn(name, value)` for each variable (value null for a bare `name`), until the end or a syntax error. */
export function parseConfig(text: string, fn: (name: string, value: string | null) => void): boolean {
  let pos = 0;
  let eof = false;
  // get_next_char(): CRLF reads as LF; the end reads as one more LF.
  const next = (): string => {
    if (pos >= text.length) {
      eof = true;
      return '\n';
    }
    let c = text[pos++];
    if (c === '\r' && text[pos] === '\n') c = text[pos++];
    return c;
  };
  if (text.startsWith('\xef\xbb\xbf')) pos = 3; // UTF-8 byte order mark
  let section = '';
  let comment = false;
  for (;;) {
    const c = next();
    if (c === '\n') {
      if (eof) return true;
      comment = false;
      continue;
    }
    if (comment || isSpace(c)) continue;
    if (c === '#' || c === ';') {
      comment = true;
      continue;
    }
    if (c === '[') {
      const s = baseVar();
      if (s === null || !s) return false;
      section = s + '.';
      continue;
    }
    if (!isAlpha(c)) return false;
    if (!value(section + c.toLowerCase())) return false;
  }

  function baseVar(): string | null {
    let name = '';
    for (;;) {
      const c = next();
      if (eof) return null;
      if (c === ']') return name;
      if (isSpace(c)) return extendedBaseVar(name, c);
      if (!isKeyChar(c) && c !== '.') return null;
      name += c.toLowerCase();
    }
  }

  function extendedBaseVar(name: string, c: string): string | null {
    do {
      if (c === '\n') return null;
      c = next();
    } while (isSpace(c));
    if (c !== '"') return null;
    name += '.';
    for (;;) {
      let d = next();
      if (d === '\n') return null;
      if (d === '"') break;
      if (d === '\\') {
        d = next();
        if (d === '\n') return null;
      }
      name += d;
    }
    return next() === ']' ? name : null;
  }

  function value(name: string): boolean {
    let c: string;
    for (;;) {
      c = next();
      if (eof || !isKeyChar(c)) break;
      name += c.toLowerCase();
    }
    while (c === ' ' || c === '\t') c = next();
    let v: string | null = null;
    if (c !== '\n') {
      if (c !== '=') return false;
      v = parseValue();
      if (v === null) return false;
    }
    fn(name, v);
    return true;
  }

  function parseValue(): string | null {
    let quote = false, comment = false, space = 0;
    let v = '';
    for (;;) {
      let c = next();
      if (c === '\n') return quote ? null : v;
      if (comment) continue;
      if (isSpace(c) && !quote) {
        if (v) space++;
        continue;
      }
      if (!quote && (c === ';' || c === '#')) {
        comment = true;
        continue;
      }
      for (; space; space--) v += ' ';
      if (c === '\\') {
        c = next();
        if (c === '\n') continue;
        if (c === 't') c = '\t';
        else if (c === 'b') c = '\b';
        else if (c === 'n') c = '\n';
        else if (c !== '\\' && c !== '"') return null;
        v += c;
        continue;
      }
      if (c === '"') {
        quote = !quote;
        continue;
      }
      v += c;
    }
  }
}

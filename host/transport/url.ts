// Which transport a repository location names, decided as git decides it
// (connect.c: parse_connect_url, url_is_local_not_ssh; clone: an existing path
// is a local repository even if it contains a colon).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export type Location =
  | { kind: 'http'; url: string }
  | { kind: 'git'; host: string; port: number; hostHeader: string; path: string }
  | { kind: 'ssh'; user?: string; host: string; port?: string; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'local'; path: string }
  | { kind: 'unsupported'; scheme: string };

/** Host and optional port from `host`, `host:port`, `[v6]` or `[v6]:port`. */
function splitHostPort(hostport: string): { host: string; port?: string } {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close > 0) {
      const rest = hostport.slice(close + 1);
      return { host: hostport.slice(1, close), port: rest.startsWith(':') && rest.length > 1 ? rest.slice(1) : undefined };
    }
  }
  const colon = hostport.lastIndexOf(':');
  if (colon > 0 && hostport.indexOf(':') === colon && /^\d+$/.test(hostport.slice(colon + 1))) {
    return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
  }
  return { host: hostport };
}

/** The path part after the host of a `scheme://host/path` URL; `/~user/x` means `~user/x` (git's convention). */
function urlPath(rest: string, slash: number): string {
  const p = decodeURIComponent(rest.slice(slash));
  return p.startsWith('/~') ? p.slice(1) : p;
}

export function classify(location: string, cwd = process.cwd()): Location {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(location);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    const rest = location.slice(scheme[0].length);
    if (s === 'http' || s === 'https') return { kind: 'http', url: location };
    if (s === 'file') {
      // file:///path; a host (file://localhost/path, file://elsewhere/path) is
      // skipped, as connect.c parse_connect_url() skips it: the path is local.
      const slash = rest.indexOf('/');
      return { kind: 'file', path: decodeURIComponent(slash < 0 ? '/' : rest.slice(slash)) };
    }
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const user = at >= 0 ? decodeURIComponent(authority.slice(0, at)) : undefined;
    const { host, port } = splitHostPort(at >= 0 ? authority.slice(at + 1) : authority);
    const path = slash < 0 ? '/' : urlPath(rest, slash);
    if (s === 'git') {
      return { kind: 'git', host, port: port ? Number(port) : 9418, hostHeader: at >= 0 ? authority.slice(at + 1) : authority, path };
    }
    if (s === 'ssh' || s === 'git+ssh' || s === 'ssh+git') return { kind: 'ssh', user, host, port, path };
    return { kind: 'unsupported', scheme: s };
  }
  // No scheme: an existing path wins (git clone checks the path first), then the
  // scp-like `[user@]host:path` form when a colon comes before any slash.
  if (existsSync(resolve(cwd, location))) return { kind: 'local', path: resolve(cwd, location) };
  const colon = location.indexOf(':');
  const slash = location.indexOf('/');
  const isScp = colon > 0 && (slash < 0 || colon < slash) && !/^[a-zA-Z]:[\\/]/.test(location);
  if (isScp) {
    let hostpart = location.slice(0, colon);
    let path = location.slice(colon + 1);
    if (hostpart.includes('[') && !hostpart.includes(']')) {
      // user@[::1]:path: the first colon was inside the brackets
      const close = location.indexOf(']:');
      if (close > 0) {
        hostpart = location.slice(0, close + 1);
        path = location.slice(close + 2);
      }
    }
    const at = hostpart.lastIndexOf('@');
    const user = at >= 0 ? hostpart.slice(0, at) : undefined;
    let host = at >= 0 ? hostpart.slice(at + 1) : hostpart;
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    return { kind: 'ssh', user, host, path };
  }
  return { kind: 'local', path: resolve(cwd, location) };
}

/**
 * `url.<base>.insteadOf` rewriting (remote.c: alias_url): the longest prefix
 * named by any insteadOf value is replaced by its base; the first of equally
 * long ones wins. `config` is the parsed configuration in order (canonical
 * keys), so one base may have several insteadOf values.
 */
export function rewriteUrl(url: string, config: [string, string][]): string {
  let best: { base: string; prefix: string } | null = null;
  for (const [key, value] of config) {
    if (!key.startsWith('url.') || !key.endsWith('.insteadof') || key.length <= 'url..insteadof'.length) continue;
    if (!url.startsWith(value) || (best && value.length <= best.prefix.length)) continue;
    best = { base: key.slice('url.'.length, -'.insteadof'.length), prefix: value };
  }
  return best ? best.base + url.slice(best.prefix.length) : url;
}

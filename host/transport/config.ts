// git configuration as the transports see it: a map of `section.key` (or
// `section.subsection.key`) to value, from the caller's `-c` options and config
// files. Section and key are case-insensitive in git, subsections are not.

import { TransportError } from '../protocol/errors.ts';
import { parseMaybeBool } from '../repo/config.ts';
import { classify } from './url.ts';

export function configGet(config: Map<string, string> | undefined, key: string): string | undefined {
  if (!config) return undefined;
  const direct = config.get(key);
  if (direct !== undefined) return direct;
  const want = normalise(key);
  for (const [k, v] of config) if (normalise(k) === want) return v;
  return undefined;
}

function normalise(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  if (first === last) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}.${key.slice(first + 1, last)}.${key.slice(last + 1).toLowerCase()}`;
}

/**
 * The protocol version to ask for: `protocol.version` config, else 2 (git's
 * default since 2.26). Any other value than 0, 1 or 2 is refused as git's
 * protocol.c refuses it, whatever the transport (a local path's too).
 */
export function wantedProtocol(config: Map<string, string> | undefined, url = ''): 0 | 1 | 2 {
  const v = configGet(config, 'protocol.version');
  if (v === undefined || v === '2') return 2;
  if (v === '0' || v === '1') return v === '0' ? 0 : 1;
  throw new TransportError('unsupported', `unknown value for config 'protocol.version': ${v}`, url);
}

/** The transport a URL or path names, as git's protocol.<name>.allow calls it. */
export function transportName(url: string): string {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase() ?? (/^[^/]*:/.test(url) && !url.startsWith('/') ? 'ssh' : 'file');
}

/**
 * transport.c is_transport_allowed(): $GIT_ALLOW_PROTOCOL when set, else
 * protocol.<name>.allow, protocol.allow, or the default (http, https, git,
 * ssh always; ext never; the others, file included, only when the user asked
 * for the URL: `fromUser` and $GIT_PROTOCOL_FROM_USER not false).
 */
export function transportAllowed(url: string, cfg: (key: string) => string | undefined, env: NodeJS.ProcessEnv, fromUser: boolean): boolean {
  const name = transportName(url);
  if (env.GIT_ALLOW_PROTOCOL !== undefined) return env.GIT_ALLOW_PROTOCOL.split(':').includes(name);
  const policy = cfg(`protocol.${name}.allow`) ?? cfg('protocol.allow') ?? (['http', 'https', 'git', 'ssh'].includes(name) ? 'always' : name === 'ext' ? 'never' : 'user');
  if (policy === 'always') return true;
  if (policy !== 'user') return false;
  return fromUser && (env.GIT_PROTOCOL_FROM_USER === undefined || parseMaybeBool(env.GIT_PROTOCOL_FROM_USER) !== false);
}

/**
 * Why server options cannot go to a remote that answered in `protocol`, in
 * git's words, or null when they can: git's native transports refuse them on
 * v0/v1; its HTTP helper passes them on for v2 only and drops them silently
 * otherwise.
 */
export function serverOptionsRefusal(protocol: number, url: string): { hint: string; message: string } | null {
  if (protocol >= 2 || classify(url).kind === 'http') return null;
  return { hint: "hint: see protocol.version in 'git help config' for more details\n", message: 'server options require protocol version 2 or later' };
}

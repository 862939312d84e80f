// Capabilities as both protocol versions spell them.
// v0/v1: one space-separated list after a NUL on the first advertised ref
//   (gitprotocol-pack, "Reference Discovery"), e.g. `side-band-64k symref=HEAD:refs/heads/main agent=git/2.39.5`.
// v2: one capability per packet after `version 2`, `key[=value]` (gitprotocol-v2, "Capability Advertisement").

import { VERSION } from '../version.ts';

export const AGENT = `wasmgit/${VERSION}`;

export type Capabilities = Map<string, string | true>;

/** Parses a v0 capability list; `symref=` may repeat, so every symref is also returned separately. */
export function parseV0Capabilities(list: string): { caps: Capabilities; symrefs: Map<string, string> } {
  const caps: Capabilities = new Map();
  const symrefs = new Map<string, string>();
  for (const word of list.split(' ')) {
    if (!word) continue;
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? true : word.slice(eq + 1);
    if (key === 'symref' && typeof value === 'string') {
      const colon = value.indexOf(':');
      if (colon > 0) symrefs.set(value.slice(0, colon), value.slice(colon + 1));
    }
    caps.set(key, value);
  }
  return { caps, symrefs };
}

/** Adds one v2 capability line to `caps`. */
export function addV2Capability(caps: Capabilities, line: string): void {
  const eq = line.indexOf('=');
  if (eq < 0) caps.set(line, true);
  else caps.set(line.slice(0, eq), line.slice(eq + 1));
}

/** For v2 capabilities with a value listing features (e.g. `fetch=shallow filter`): is `feature` among them? */
export function hasFeature(caps: Capabilities, cap: string, feature: string): boolean {
  const v = caps.get(cap);
  return typeof v === 'string' && v.split(' ').includes(feature);
}

export function objectFormat(caps: Capabilities): 'sha1' | 'sha256' {
  return caps.get('object-format') === 'sha256' ? 'sha256' : 'sha1';
}

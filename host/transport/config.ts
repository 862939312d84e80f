// git configuration as the transports see it: a map of `section.key` (or
// `section.subsection.key`) to value, from the caller's `-c` options and config
// files. Section and key are case-insensitive in git, subsections are not.

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

/** The protocol version to ask for: `protocol.version` config, else 2 (git's default since 2.26). */
export function wantedProtocol(config: Map<string, string> | undefined): 0 | 1 | 2 {
  const v = configGet(config, 'protocol.version');
  return v === '0' ? 0 : v === '1' ? 1 : 2;
}

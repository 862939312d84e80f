// wasmgit ls-remote <repository> [<patterns>...]: lists a remote's refs exactly as
// `git ls-remote` prints them (`<oid>TAB<ref>`, peeled tags as `<ref>^{}`).

import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { openRemote, type Advertisement } from '../transport/index.ts';
import { rewriteUrl } from '../transport/url.ts';
import { parseConfigParameter, readUserConfig } from '../repo/config.ts';

const specs: OptionSpec[] = [
  { name: 'heads', help: 'limit to refs/heads' },
  { name: 'tags', short: 't', help: 'limit to refs/tags' },
  { name: 'refs', help: 'do not show peeled tags or pseudorefs like HEAD' },
  { name: 'symref', help: 'show the ref a symbolic ref (HEAD) points to' },
  { name: 'quiet', short: 'q', help: 'do not print the remote URL' },
  { name: 'exit-code', help: 'exit with status 2 when no matching refs are found' },
  { name: 'get-url', help: 'print the URL after url.<base>.insteadOf rewriting, and exit' },
  { name: 'config', short: 'c', value: true, multiple: true, arg: 'key=value', help: 'set a configuration value (e.g. http.extraHeader)' },
];

/** git's tail match: a pattern matches a ref equal to it or ending in `/<pattern>`, with `*`, `?` and `[...]` globs. */
function tailMatcher(patterns: string[]): (name: string) => boolean {
  if (!patterns.length) return () => true;
  const res = patterns.map((p) => {
    const body = p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`(^|/)${body}$`);
  });
  return (name) => res.some((r) => r.test(name));
}

export interface LsRemoteFilter {
  heads?: boolean;
  tags?: boolean;
  refs?: boolean;
  symref?: boolean;
  patterns?: string[];
}

/** The lines `git ls-remote` prints for an advertisement. */
export function formatLsRemote(adv: Advertisement, f: LsRemoteFilter = {}): string[] {
  const match = tailMatcher(f.patterns ?? []);
  const out: string[] = [];
  for (const ref of adv.refs) {
    const kindOk = (!f.heads && !f.tags) || (f.heads && ref.name.startsWith('refs/heads/')) || (f.tags && ref.name.startsWith('refs/tags/'));
    if (!kindOk) continue;
    if (f.refs && !ref.name.startsWith('refs/')) continue;
    if (!match(ref.name)) continue;
    if (f.symref && ref.symrefTarget) out.push(`ref: ${ref.symrefTarget}\t${ref.name}`);
    out.push(`${ref.oid}\t${ref.name}`);
    if (ref.peeled && !f.refs) out.push(`${ref.peeled}\t${ref.name}^{}`);
  }
  return out;
}

function prefixesFor(f: LsRemoteFilter): string[] | undefined {
  // Narrow the server's answer only when the filter makes it safe (git does the same).
  if (f.patterns?.length) return undefined;
  const p: string[] = [];
  if (f.heads) p.push('refs/heads/');
  if (f.tags) p.push('refs/tags/');
  return p.length ? p : undefined;
}

export const lsRemote: Command = {
  summary: 'List references in a remote repository',
  usage: () => `usage: wasmgit ls-remote [options] <repository> [<patterns>...]

${formatOptions(specs)}
`,
  async run(argv) {
    const { opts, positional } = parseArgs(argv, specs);
    const [url, ...patterns] = positional;
    if (!url) throw new UsageError('a repository is required');
    // The user's configuration as git reads it, then -c values.
    const entries: [string, string][] = readUserConfig(process.env);
    for (const kv of (opts.config as string[] | undefined) ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`bad config '${kv}': expected key=value`);
      entries.push(parseConfigParameter(kv));
    }
    const config = new Map(entries);
    const target = rewriteUrl(url, entries);
    if (opts['get-url']) {
      process.stdout.write(`${target}\n`);
      return 0;
    }
    const filter: LsRemoteFilter = {
      heads: opts.heads === true,
      tags: opts.tags === true,
      refs: opts.refs === true,
      symref: opts.symref === true,
      patterns,
    };
    const remote = await openRemote(target, { config });
    try {
      const adv = await remote.advertise({ prefixes: prefixesFor(filter) });
      const lines = formatLsRemote(adv, filter);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      return opts['exit-code'] && lines.length === 0 ? 2 : 0;
    } finally {
      await remote.close();
    }
  },
};

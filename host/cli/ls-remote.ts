// wasmgit ls-remote <repository> [<patterns>...]: lists a remote's refs exactly as
// `git ls-remote` prints them (`<oid>TAB<ref>`, peeled tags as `<ref>^{}`).

import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { classify, isBundleFile, openRemote, type Advertisement } from '../transport/index.ts';
import { rewriteUrl } from '../transport/url.ts';
import { lastValue, parseConfigParameter, readUserConfig } from '../repo/config.ts';
import { serverOptionsRefusal, transportAllowed, transportName } from '../transport/config.ts';
import { versionCompare } from '../repo/version-order.ts';

const specs: OptionSpec[] = [
  { name: 'heads', short: 'h', help: 'limit to refs/heads (-h alone asks for the usage, as with git)' },
  { name: 'tags', short: 't', help: 'limit to refs/tags' },
  { name: 'refs', help: 'do not show peeled tags or pseudorefs like HEAD' },
  { name: 'symref', help: 'show the ref a symbolic ref (HEAD) points to' },
  { name: 'quiet', short: 'q', help: 'do not print the remote URL' },
  { name: 'exit-code', help: 'exit with status 2 when no matching refs are found' },
  { name: 'get-url', help: 'print the URL after url.<base>.insteadOf rewriting, and exit' },
  { name: 'server-option', short: 'o', value: true, multiple: true, arg: 'option', help: 'send <option> to the server (protocol v2; repeatable)' },
  { name: 'upload-pack', value: true, arg: 'exec', help: 'path of git-upload-pack on the remote host' },
  { name: 'sort', value: true, multiple: true, arg: 'key', help: 'sort by refname or version:refname (v:refname), - first to reverse; the last --sort is the primary key' },
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
  /** `--sort` keys as given (the last is the primary one). */
  sort?: string[];
  /** versionsort.suffix values, in configuration order, for version:refname. */
  versionSuffixes?: string[];
}

type Line = { oid: string; name: string; symref?: string };

// Fields of git's ref-filter that need the objects themselves, which ls-remote
// does not have (git refuses them outside a repository too).
const OBJECT_FIELDS = /^(objectname|objecttype|objectsize|deltabase|tree|parent|numparent|object|type|tag|author|authorname|authoremail|authordate|committer|committername|committeremail|committerdate|tagger|taggername|taggeremail|taggerdate|creator|creatordate|subject|body|contents|signature|trailers|describe)(:.*)?$/;

/** A comparison for git ls-remote's `--sort` keys (ref-filter's: the last key first, then the ref name). */
export function lsRemoteOrder(keys: string[], versionSuffixes: string[] = []): (a: { name: string }, b: { name: string }) => number {
  const cmps = keys
    .slice()
    .reverse()
    .map((key) => {
      const reverse = key.startsWith('-');
      const field = reverse ? key.slice(1) : key;
      let cmp: (a: string, b: string) => number;
      if (field === 'refname') cmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      else if (field === 'version:refname' || field === 'v:refname') cmp = (a, b) => versionCompare(a, b, versionSuffixes);
      // Fatal (128), as git's ref-filter dies on a key it cannot use.
      else if (OBJECT_FIELDS.test(field)) throw new Error(`ls-remote sorts by refname and version:refname only; '${field}' needs the objects`);
      else throw new Error(`unknown field name: ${field}`);
      return (a: { name: string }, b: { name: string }) => (reverse ? -cmp(a.name, b.name) : cmp(a.name, b.name));
    });
  return (a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
  };
}

/** The lines `git ls-remote` prints for an advertisement. */
export function formatLsRemote(adv: Advertisement, f: LsRemoteFilter = {}): string[] {
  const match = tailMatcher(f.patterns ?? []);
  // Each peeled tag is a line of its own (`<tag>^{}`), sorted as its own name.
  const lines: Line[] = [];
  for (const ref of adv.refs) {
    const kindOk = (!f.heads && !f.tags) || (f.heads && ref.name.startsWith('refs/heads/')) || (f.tags && ref.name.startsWith('refs/tags/'));
    if (!kindOk) continue;
    if (f.refs && !ref.name.startsWith('refs/')) continue;
    // A peeled tag is a ref of its own to git's pattern match: `v1.0` does not match `refs/tags/v1.0^{}`.
    if (match(ref.name)) lines.push({ oid: ref.oid, name: ref.name, symref: ref.symrefTarget ?? undefined });
    if (ref.peeled && !f.refs && match(`${ref.name}^{}`)) lines.push({ oid: ref.peeled, name: `${ref.name}^{}` });
  }
  if (f.sort?.length) lines.sort(lsRemoteOrder(f.sort, f.versionSuffixes));
  const out: string[] = [];
  for (const l of lines) {
    if (f.symref && l.symref) out.push(`ref: ${l.symref}\t${l.name}`);
    out.push(`${l.oid}\t${l.name}`);
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
    // versionsort.suffix, else the older versionsort.prereleaseSuffix (git warns when both are set and it compares versions).
    const configured = (key: string) => entries.filter(([k]) => k === key).map(([, v]) => v);
    const suffixes = configured('versionsort.suffix');
    const older = configured('versionsort.prereleasesuffix');
    const sort = (opts.sort as string[] | undefined) ?? [];
    if (suffixes.length && older.length && sort.some((k) => /^-?v(ersion)?:refname$/.test(k))) {
      process.stderr.write('warning: ignoring versionsort.prereleasesuffix because versionsort.suffix is set\n');
    }
    const filter: LsRemoteFilter = {
      versionSuffixes: suffixes.length ? suffixes : older,
      heads: opts.heads === true,
      tags: opts.tags === true,
      refs: opts.refs === true,
      symref: opts.symref === true,
      patterns,
      sort,
    };
    lsRemoteOrder(filter.sort!); // a bad key is refused before connecting, as git does
    // transport_get(): protocol.<name>.allow and $GIT_ALLOW_PROTOCOL, for the URL the user gave.
    if (!transportAllowed(target, (k) => lastValue(entries, k), process.env, true)) throw new Error(`transport '${transportName(target)}' not allowed`);
    const remote = await openRemote(target, { config, uploadPack: opts['upload-pack'] as string | undefined, onStderr: (text) => process.stderr.write(text) });
    try {
      // For the server: a local path read directly (no upload-pack), or a bundle, takes none.
      const kind = classify(target);
      const direct = kind.kind === 'local' && (opts['upload-pack'] === undefined || isBundleFile(kind.path));
      const serverOptions = direct ? [] : ((opts['server-option'] as string[] | undefined) ?? []);
      const adv = await remote.advertise({ prefixes: prefixesFor(filter), serverOptions });
      const refused = serverOptions.length ? serverOptionsRefusal(adv.protocol, target) : null;
      if (refused) {
        process.stderr.write(refused.hint);
        throw new Error(refused.message);
      }
      const lines = formatLsRemote(adv, filter);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      return opts['exit-code'] && lines.length === 0 ? 2 : 0;
    } finally {
      await remote.close();
    }
  },
};

// wasmgit ls-remote <repository> [<patterns>...]: lists a remote's refs exactly as
// `git ls-remote` prints them (`<oid>TAB<ref>`, peeled tags as `<ref>^{}`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { classify, isBundleFile, openRemote, type Advertisement } from '../transport/index.ts';
import { rewriteUrl } from '../transport/url.ts';
import { lastValue, readUserConfig } from '../repo/config.ts';
import { discoverGitDir } from '../repo/discover.ts';
import { serverOptionsRefusal, transportAllowed, transportName } from '../transport/config.ts';
import { versionCompare } from '../repo/version-order.ts';

// git's option table (builtin/ls-remote.c), in its order: an abbreviation
// that fits two options names the last two of them, as git does.
const specs: OptionSpec[] = [
  { name: 'quiet', short: 'q', negatable: true, help: 'do not print remote URL' },
  { name: 'upload-pack', value: true, negatable: true, arg: 'exec', help: 'path of git-upload-pack on the remote host' },
  { name: 'exec', value: true, negatable: true, aliasOf: 'upload-pack', help: '' },
  { name: 'tags', short: 't', negatable: true, help: 'limit to tags' },
  { name: 'heads', short: 'h', negatable: true, help: 'limit to heads' },
  { name: 'refs', negatable: true, help: 'do not show peeled tags' },
  { name: 'get-url', negatable: true, help: 'take url.<base>.insteadOf into account' },
  { name: 'sort', value: true, multiple: true, negatable: true, arg: 'key', help: 'field name to sort on' },
  { name: 'exit-code', negatable: true, help: 'exit with exit code 2 if no matching refs are found' },
  { name: 'symref', negatable: true, help: 'show underlying ref in addition to the object pointed by it' },
  { name: 'server-option', short: 'o', value: true, multiple: true, negatable: true, arg: 'server-specific', help: 'option to transmit' },
];

/** git ls-remote's usage (parse-options layout: help text at column 26, or on the next line). */
function usage(): string {
  const head = 'usage: wasmgit ls-remote ';
  const pad = ' '.repeat(head.length);
  const rows = specs
    .filter((s) => !s.aliasOf)
    .map((s) => {
      const left = `    ${s.short ? `-${s.short}, ` : ''}--${s.name}${s.value ? ` <${s.arg}>` : ''}`;
      return left.length <= 24 ? `${left.padEnd(26)}${s.help}` : `${left}\n${' '.repeat(26)}${s.help}`;
    });
  return `${head}[--heads] [--tags] [--refs] [--upload-pack=<exec>]
${pad}[-q | --quiet] [--exit-code] [--get-url] [--sort=<key>]
${pad}[--symref] [<repository> [<refs>...]]

${rows.join('\n')}

`;
}

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

/** ref-filter.c lstrip_ref_components(): `n` leading components dropped (n < 0: all but the last -n kept). */
function lstrip(name: string, n: number): string {
  const parts = name.split('/');
  const drop = n < 0 ? parts.length + n : n;
  return drop >= parts.length ? '' : parts.slice(Math.max(0, drop)).join('/');
}

/** ref-filter.c rstrip_ref_components(): `n` trailing components dropped (n < 0: all but the first -n kept). */
function rstrip(name: string, n: number): string {
  const parts = name.split('/');
  const drop = n < 0 ? parts.length + n : n;
  return drop >= parts.length ? '' : parts.slice(0, parts.length - Math.max(0, drop)).join('/');
}

/**
 * The string a `refname` or `symref` atom gives a ref, with ref-filter's
 * modifiers (refname_atom_parser_internal()): none, lstrip=<n> (or strip=),
 * rstrip=<n>. `:short` needs the repository's refs, so it is refused.
 */
function refnameAtom(atom: string, base: string, arg: string | undefined): (name: string) => string {
  if (arg === undefined || arg === '') return (n) => n;
  const int = (v: string, what: string) => {
    if (!/^[+-]?\d+$/.test(v)) throw new Error(`Integer value expected refname:${what}=${v}`);
    return Number(v);
  };
  let m = /^(?:lstrip|strip)=(.*)$/s.exec(arg);
  if (m) {
    const n = int(m[1], 'lstrip');
    return (name) => lstrip(name, n);
  }
  m = /^rstrip=(.*)$/s.exec(arg);
  if (m) {
    const n = int(m[1], 'rstrip');
    return (name) => rstrip(name, n);
  }
  if (arg === 'short') throw new Error(`ls-remote cannot sort by ${base}:short: it needs the repository's refs to shorten names unambiguously`);
  throw new Error(`unrecognized %(${atom}) argument: ${arg}`);
}

type Sortable = { name: string; symref?: string };

/** A comparison for git ls-remote's `--sort` keys (ref-filter's: the last key first, then the ref name). */
export function lsRemoteOrder(keys: string[], versionSuffixes: string[] = [], inRepository = false): (a: Sortable, b: Sortable) => number {
  const cmps = keys
    .slice()
    .reverse()
    .map((key) => {
      const reverse = key.startsWith('-');
      let field = reverse ? key.slice(1) : key;
      // version: (v:) compares the atom's value as versions (parse_sorting_atom()).
      const version = /^v(ersion)?:/.exec(field);
      if (version) field = field.slice(version[0].length);
      const colon = field.indexOf(':');
      const base = colon < 0 ? field : field.slice(0, colon);
      let value: (l: Sortable) => string;
      if (base === 'refname' || base === 'symref') {
        const f = refnameAtom(field, base, colon < 0 ? undefined : field.slice(colon + 1));
        value = base === 'refname' ? (l) => f(l.name) : (l) => (l.symref ? f(l.symref) : '');
      }
      // Fatal (128), as git's ref-filter dies on a key it cannot use: outside a
      // repository in its words; inside one git reads the objects, which we do not.
      else if (field === '') throw new Error('malformed field name: ');
      else if (OBJECT_FIELDS.test(field)) {
        throw new Error(inRepository ? `ls-remote sorts by refname and version:refname only; '${field}' needs the objects` : `not a git repository, but the field '${field}' requires access to object data`);
      } else throw new Error(`unknown field name: ${field}`);
      const cmp = version ? (a: string, b: string) => versionCompare(a, b, versionSuffixes) : (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      return (a: Sortable, b: Sortable) => (reverse ? -cmp(value(a), value(b)) : cmp(value(a), value(b)));
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

/** The branch HEAD names in `gitDir`, or null when detached or unreadable. */
function currentBranch(gitDir: string): string | null {
  try {
    return /^ref: refs\/heads\/(.+?)\s*$/.exec(readFileSync(join(gitDir, 'HEAD'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * remote.c remote_get(): the remote `dest` names (a configured remote's first
 * URL, else `dest` itself as a URL), or with no `dest` the current branch's
 * remote (branch.<name>.remote, else origin) when it has a URL. URLs go
 * through url.<base>.insteadOf. Null when there is no remote to use.
 */
function resolveRemote(dest: string | undefined, entries: [string, string][], gitDir: string | null): { url: string; uploadPack?: string } | null {
  const branch = gitDir ? currentBranch(gitDir) : null;
  const name = dest ?? (branch !== null ? lastValue(entries, `branch.${branch}.remote`) : undefined) ?? 'origin';
  // Subsections keep their case; the section and key are canonical (lower case).
  const urls = entries.filter(([k]) => k === `remote.${name}.url`).map(([, v]) => v);
  if (urls.length) return { url: rewriteUrl(urls[0], entries), uploadPack: lastValue(entries, `remote.${name}.uploadpack`) };
  return dest === undefined ? null : { url: rewriteUrl(dest, entries) };
}

export const lsRemote: Command = {
  summary: 'List references in a remote repository',
  usage,
  async run(argv) {
    // Options end at the first argument that is not one: `ls-remote <url> --tags` looks for a ref named --tags, as in git.
    const { opts, positional } = parseArgs(argv, specs, { abbreviations: true, stopAtNonOption: true });
    const [dest, ...patterns] = positional;
    // The user's configuration as git reads it: system, global, the repository's (when run in one), then -c values.
    const repo = discoverGitDir();
    const entries: [string, string][] = readUserConfig(process.env, repo ? join(repo.commonDir, 'config') : undefined);
    const config = new Map(entries);
    const remote = resolveRemote(dest, entries, repo?.gitDir ?? null);
    if (!remote) throw new Error('No remote configured to list refs from.');
    const target = remote.url;
    if (opts['get-url']) {
      process.stdout.write(`${target}\n`);
      return 0;
    }
    // versionsort.suffix, else the older versionsort.prereleaseSuffix (git warns when both are set and it compares versions).
    const configured = (key: string) => entries.filter(([k]) => k === key).map(([, v]) => v);
    const suffixes = configured('versionsort.suffix');
    const older = configured('versionsort.prereleasesuffix');
    const sort = (opts.sort as string[] | undefined) ?? [];
    if (suffixes.length && older.length && sort.some((k) => /^-?v(ersion)?:/.test(k))) {
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
    lsRemoteOrder(filter.sort!, [], repo !== null); // a bad key is refused before connecting, as git does
    // transport_get(): protocol.<name>.allow and $GIT_ALLOW_PROTOCOL, for the URL the user gave.
    if (!transportAllowed(target, (k) => lastValue(entries, k), process.env, true)) throw new Error(`transport '${transportName(target)}' not allowed`);
    // --upload-pack, else remote.<name>.uploadpack (transport_get() takes the remote's, the option overrides it).
    // (transport_get() gives the remote's to git's own transports only, not to the HTTP helper.)
    const kind = classify(target);
    const uploadPack = (opts['upload-pack'] as string | undefined) ?? (kind.kind === 'http' ? undefined : remote.uploadPack);
    const conn = await openRemote(target, { config, uploadPack, onStderr: (text) => process.stderr.write(text) });
    try {
      // For the server: a local path read directly (no upload-pack), or a bundle, takes none.
      const direct = kind.kind === 'local' && (uploadPack === undefined || isBundleFile(kind.path));
      const serverOptions = direct ? [] : ((opts['server-option'] as string[] | undefined) ?? []);
      const adv = await conn.advertise({ prefixes: prefixesFor(filter), serverOptions });
      const refused = serverOptions.length ? serverOptionsRefusal(adv.protocol, target) : null;
      if (refused) {
        process.stderr.write(refused.hint);
        throw new Error(refused.message);
      }
      // With no repository named, git says which one it listed.
      if (dest === undefined && !opts.quiet) process.stderr.write(`From ${target}\n`);
      const lines = formatLsRemote(adv, filter);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      return opts['exit-code'] && lines.length === 0 ? 2 : 0;
    } finally {
      await conn.close();
    }
  },
};

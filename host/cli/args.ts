// A small git-style option parser: `--name=value`, `--name value`, `-x value`,
// `-xyz` for flag clusters, `--no-name` for negatable flags, `--` ends options.
// Usage errors throw UsageError, which the CLI turns into exit code 129 as git does.

export class UsageError extends Error {
  /**
   * @param withUsage whether the usage follows the message: git's parse-options
   * prints it after an unknown option, not after a bad or missing value.
   */
  constructor(
    message: string,
    readonly withUsage = true,
    /** The usage goes to stdout: git's PARSE_OPT_HELP answer (an ambiguous abbreviation) prints it there. */
    readonly usageToStdout = false,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Long name without dashes, e.g. 'branch'. */
  name: string;
  /** One-letter alias, e.g. 'b'. */
  short?: string;
  /** Takes a value. */
  value?: boolean;
  /** May be given several times; values collect into an array. */
  multiple?: boolean;
  /**
   * The value is optional: it can only be attached (`--name=value`), and the
   * bare `--name` stands for this value (git's PARSE_OPT_OPTARG).
   */
  optionalValue?: string;
  /** `--no-<name>` is accepted: it sets a flag to false, or drops a value option's value(s). */
  negatable?: boolean;
  /** Another name for the option called `aliasOf` (git's options sharing one variable): not ambiguous with it, not in --help. */
  aliasOf?: string;
  /** Text for --help, and the value's placeholder. */
  help: string;
  arg?: string;
}

export interface Parsed {
  opts: Record<string, string | boolean | string[] | undefined>;
  positional: string[];
  /** Options in the order given (`no-<name>` for a negation), for those whose order matters (-q/-v). */
  sequence: string[];
}

export interface ParseSettings {
  /**
   * Accept a unique prefix of a long option (or of its `no-` form), as git's
   * parse-options does; an ambiguous one is a usage error naming two candidates.
   */
  abbreviations?: boolean;
  /** The first non-option argument ends the options (git's PARSE_OPT_STOP_AT_NON_OPTION). */
  stopAtNonOption?: boolean;
}

/**
 * parse-options.c parse_long_opt() for an option name that is no exact match:
 * the spec it abbreviates (negated or not), walking the specs in order as git
 * walks its table; when two unrelated ones match, git names the last two.
 */
function abbreviated(name: string, specs: OptionSpec[]): { spec: OptionSpec; negated: boolean } | null {
  let found: { spec: OptionSpec; negated: boolean } | null = null;
  let ambiguous: { spec: OptionSpec; negated: boolean } | null = null;
  const target = (s: OptionSpec) => s.aliasOf ?? s.name;
  const consider = (spec: OptionSpec, negated: boolean) => {
    if (found && target(found.spec) !== target(spec)) ambiguous = found;
    found = { spec, negated };
  };
  for (const spec of specs) {
    if (spec.name.startsWith(name)) {
      consider(spec, false);
      continue;
    }
    if (!spec.negatable) continue;
    // "n", "no" and "no-" abbreviate every negation; "no-x" those of options starting with x.
    if ('no-'.startsWith(name) || (name.startsWith('no-') && spec.name.startsWith(name.slice(3)))) consider(spec, true);
  }
  if (ambiguous) {
    const a = ambiguous as { spec: OptionSpec; negated: boolean };
    const b = found! as { spec: OptionSpec; negated: boolean };
    throw new UsageError(`ambiguous option: ${name} (could be --${a.negated ? 'no-' : ''}${a.spec.name} or --${b.negated ? 'no-' : ''}${b.spec.name})`, true, true);
  }
  return found;
}

export function parseArgs(argv: string[], specs: OptionSpec[], settings: ParseSettings = {}): Parsed {
  const opts: Parsed['opts'] = {};
  const positional: string[] = [];
  const sequence: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const set = (spec: OptionSpec, v: string | boolean) => {
    sequence.push(spec.name);
    if (spec.multiple && typeof v === 'string') {
      const arr = (opts[spec.name] as string[] | undefined) ?? [];
      arr.push(v);
      opts[spec.name] = arr;
    } else opts[spec.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      let spec = byLong.get(name);
      let negated: OptionSpec | undefined;
      if (!spec && name.startsWith('no-')) {
        const pos = byLong.get(name.slice(3));
        if (pos?.negatable && (!pos.value || settings.abbreviations)) negated = pos;
      }
      if (!spec && !negated && settings.abbreviations) {
        const abbrev = abbreviated(name, specs);
        if (abbrev?.negated) negated = abbrev.spec;
        else spec = abbrev?.spec;
      }
      if (negated) {
        if (eq >= 0) throw new UsageError(`option \`no-${negated.name}' takes no value`, false);
        const key = negated.aliasOf ?? negated.name;
        if (negated.value) delete opts[key];
        else opts[key] = false;
        sequence.push(`no-${key}`);
        continue;
      }
      if (!spec) throw new UsageError(`unknown option \`${name}'`);
      if (spec.aliasOf) spec = byLong.get(spec.aliasOf)!;
      if (spec.optionalValue !== undefined) {
        set(spec, eq >= 0 ? a.slice(eq + 1) : spec.optionalValue);
      } else if (spec.value) {
        let v: string | undefined;
        if (eq >= 0) v = a.slice(eq + 1);
        else if (i + 1 < argv.length) v = argv[++i];
        if (v === undefined) throw new UsageError(`option \`${name}' requires a value`, false);
        set(spec, v);
      } else {
        if (eq >= 0) throw new UsageError(`option \`${name}' takes no value`, false);
        set(spec, true);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = byShort.get(a[j]);
        if (!spec) throw new UsageError(`unknown switch \`${a[j]}'`);
        if (spec.value) {
          let v = a.slice(j + 1);
          if (!v) {
            if (i + 1 >= argv.length) throw new UsageError(`switch \`${a[j]}' requires a value`, false);
            v = argv[++i];
          }
          set(spec, v);
          break;
        }
        set(spec, true);
      }
      continue;
    }
    if (settings.stopAtNonOption) {
      positional.push(...argv.slice(i));
      break;
    }
    positional.push(a);
  }
  return { opts, positional, sequence };
}

/** Renders an options table for --help. */
export function formatOptions(specs: OptionSpec[]): string {
  const rows = specs.filter((s) => !s.aliasOf).map((s) => {
    const arg = s.optionalValue !== undefined ? `[=<${s.arg ?? 'value'}>]` : s.value ? ` <${s.arg ?? 'value'}>` : '';
    const long = `--${s.negatable ? '[no-]' : ''}${s.name}${arg}`;
    return [s.short ? `-${s.short}, ${long}` : `    ${long}`, s.help];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, h]) => `    ${l.padEnd(w)}   ${h}`).join('\n');
}

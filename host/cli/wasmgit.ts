#!/usr/bin/env node
// The wasmgit command: dispatches to one module per subcommand. Exit codes follow
// git: 0 success, 1 unknown command, 128 fatal error, 129 usage error.
import { UsageError } from './args.ts';
import { commands } from './commands.ts';
import { VERSION } from '../version.ts';
import { systemErrorMessage } from '../errors.ts';
import { TransportError } from '../protocol/errors.ts';
import { parseConfigParameter } from '../repo/config.ts';
import { sqQuote } from '../transport/process.ts';
import { outputFailure, watchOutput } from './output.ts';
import { rerunForAddressSpace } from '../address-space.ts';

function mainUsage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `   ${name.padEnd(width)}   ${c.summary}`)
    .join('\n');
  return `usage: wasmgit [--version] [--help] [-C <path>] [-c <name>=<value>] <command> [<args>]

git clone whose heavy lifting runs in WebAssembly.

Commands:
${list}

-C <path> runs as if started in <path>; -c <name>=<value> sets a configuration
value for this run (as git -c does, through GIT_CONFIG_PARAMETERS, so it also
reaches what wasmgit runs). Both repeat.

See 'wasmgit <command> --help' for the options of each command.
`;
}

/**
 * git's options before the command (git.c handle_options): `-C <path>` and
 * `-c <name>=<value>`, in order. Returns the remaining arguments, or an exit
 * code after a message.
 */
function globalOptions(argv: string[]): string[] | number {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-C' || a === '-c') {
      const v = argv[i + 1];
      if (v === undefined) {
        process.stderr.write(a === '-C' ? "no directory given for '-C' option\n" : '-c expects a configuration string\n');
        process.stderr.write(mainUsage());
        return 129;
      }
      i++;
      if (a === '-C') {
        if (v === '') continue; // git ignores an empty -C
        try {
          process.chdir(v);
        } catch (err) {
          process.stderr.write(`fatal: cannot change to '${v}': ${systemErrorMessage(err)?.replace(/^unable to \w+ '.*': /, '') ?? (err as Error).message}\n`);
          return 128;
        }
      } else {
        // Validated now, as git does before running the command.
        try {
          if (v.startsWith('=') || v === '') throw new Error('empty config key');
          parseConfigParameter(v);
        } catch (err) {
          process.stderr.write(`error: ${(err as Error).message}\nfatal: unable to parse command-line config\n`);
          return 128;
        }
        const eq = v.indexOf('=');
        const quoted = eq < 0 ? sqQuote(v) : `${sqQuote(v.slice(0, eq))}=${sqQuote(v.slice(eq + 1))}`;
        const prev = process.env.GIT_CONFIG_PARAMETERS;
        process.env.GIT_CONFIG_PARAMETERS = prev ? `${prev} ${quoted}` : quoted;
      }
    } else break;
  }
  return argv.slice(i);
}

/** The stderr a spawned transport wrote, carried by the error or its cause. */
function relayedBy(err: unknown): TransportError['relayed'] {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof TransportError && e.relayed) return e.relayed;
  return undefined;
}

async function main(args: string[]): Promise<number> {
  const argv = globalOptions(args);
  if (typeof argv === 'number') return argv;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target && commands[target]) {
      process.stdout.write(commands[target].usage());
      return 0;
    }
    process.stdout.write(mainUsage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`wasmgit version ${VERSION}\n`);
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`wasmgit: '${name}' is not a wasmgit command. See 'wasmgit --help'.\n`);
    return 1;
  }
  // `--help` anywhere asks for the usage. A lone `-h` is git's short usage
  // request, which exits 129 as every git command's does.
  if (rest.includes('--help')) {
    process.stdout.write(cmd.usage());
    return 0;
  }
  if (rest.length === 1 && rest[0] === '-h') {
    process.stdout.write(cmd.usage());
    return 129;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      // parse-options: the usage right after the error line, and only for an unknown option.
      process.stderr.write(`error: ${err.message}\n${err.withUsage && !err.usageToStdout ? cmd.usage() : ''}`);
      if (err.withUsage && err.usageToStdout) process.stdout.write(cmd.usage());
      return 129;
    }
    const relayed = relayedBy(err);
    const msg = systemErrorMessage(err) ?? (err instanceof Error ? err.message : String(err));
    // A spawned transport's own words first, as they were, then git's fatal line.
    // (An empty reason: the child's words end with its own verdict, and git adds none.)
    if (relayed) process.stderr.write(relayed.reason ? `${relayed.text}fatal: ${relayed.reason}\n` : relayed.text);
    else process.stderr.write(`fatal: ${msg}\n`);
    if (traceWanted() && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 128;
  }
}

/**
 * $WASMGIT_TRACE, read while reporting an error: that read must not fail in
 * turn (Deno without --allow-env refuses reading the environment, which may
 * be the very error being reported).
 */
function traceWanted(): boolean {
  try {
    return !!process.env.WASMGIT_TRACE;
  } catch {
    return false;
  }
}

/** Runs the command line and sets the exit status from what it returns. */
function start(): void {
  let settled = false;
  watchOutput();
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      // Output that could not be written decides the status, as SIGPIPE or die() would have for git.
      process.exitCode = outputFailure() ?? code;
    },
    (err) => {
      settled = true;
      process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 128;
    },
  );
  // Node exits when nothing is left to wait for, even with the command's promise
  // pending (a bug: an event that never came). Never report that as success.
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    process.stderr.write('fatal: internal error: the command stopped before it finished (nothing left to wait for)\n');
    process.exitCode = 128;
  });
}

const rerun = rerunForAddressSpace();
if (rerun !== null) process.exitCode = rerun;
else start();

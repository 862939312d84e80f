// wasmgit verify-pack: check packs against their .idx files, as git verify-pack
// does, and with -v list their objects exactly as git does.
import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { defaultThreads } from '../pack/index-pack.ts';
import { verifyPack } from '../pack/verify-pack.ts';

const specs: OptionSpec[] = [
  { name: 'verbose', short: 'v', help: 'list the objects, the delta chain histogram and the verdict' },
  { name: 'stat-only', short: 's', help: 'show only the delta chain histogram' },
  { name: 'threads', value: true, arg: 'n', help: 'threads resolving deltas (default: number of cores)' },
];

export const verifyPackCommand: Command = {
  summary: 'Check packs against their .idx files, as git verify-pack does',
  usage: () => `usage: wasmgit verify-pack [-v | -s] [--threads <n>] <pack>.idx...

${formatOptions(specs)}
`,
  async run(argv) {
    const { opts, positional } = parseArgs(argv, specs);
    if (positional.length === 0) throw new UsageError('missing <pack>.idx');
    const threads = opts.threads === undefined ? defaultThreads() : Number(opts.threads);
    if (!Number.isInteger(threads) || threads < 0) throw new UsageError(`invalid number of threads specified (${opts.threads})`);
    const verbose = !!opts.verbose;
    const statOnly = !!opts['stat-only'];
    let status = 0;
    for (const arg of positional) {
      try {
        const r = await verifyPack(arg, { threads: threads || defaultThreads(), listing: verbose && !statOnly });
        if (verbose || statOnly) process.stdout.write(r.listing + r.histogram);
        if (verbose && !statOnly) process.stdout.write(`${r.packPath}: ok\n`);
      } catch (err) {
        process.stderr.write(`fatal: ${(err as Error).message}\n`);
        if (verbose || statOnly) process.stdout.write(`${arg.endsWith('.idx') ? arg.slice(0, -4) + '.pack' : arg}: bad\n`);
        status = 1;
      }
    }
    return status;
  },
};

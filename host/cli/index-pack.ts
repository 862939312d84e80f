// wasmgit index-pack: build the .idx of a pack, as git index-pack does.
//
//   wasmgit index-pack [-o <idx>] [--strict] [--keep[=<msg>]] [--threads N] [-v] <pack>
//   wasmgit index-pack --stdin [--fix-thin] [--strict] [-o <idx>] [--keep[=<msg>]] [--threads N] [-v] [<pack>]
//
// --stdin needs a repository, as in git (found from the working directory or $GIT_DIR).
// Prints the pack's checksum (its name) like git; with --stdin, "pack\t<checksum>"
// or, when it wrote a .keep, "keep\t<checksum>". --stdin without <pack> stores
// the pack in the repository (objects/pack/pack-<checksum>.pack).
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args.ts';
import type { Command } from './commands.ts';
import { indexPack, PackIndexer, type IndexPhase } from '../pack/index-pack.ts';
import { discoverGitDir } from '../repo/discover.ts';
import { repositoryObjects } from './repo-objects.ts';
import { Progress } from '../progress/progress.ts';

const specs: OptionSpec[] = [
  { name: 'output', short: 'o', value: true, arg: 'idx', help: 'write the index to <idx> (default: <pack> with .idx for .pack)' },
  { name: 'stdin', help: 'read the pack from standard input and write it to <pack> (default: into the repository)' },
  { name: 'fix-thin', help: 'complete a thin pack: append the bases its deltas name from the repository (needs --stdin)' },
  { name: 'strict', help: 'check every object as git fsck does (see docs/index-pack.md for the checks) and refuse the pack on an error' },
  { name: 'keep', optionalValue: '', arg: 'msg', help: 'write <pack>.keep (holding <msg>) before the index, so no repack removes the pack' },
  { name: 'threads', value: true, arg: 'n', help: 'threads resolving deltas (default: one per core, fewer for small packs)' },
  { name: 'verbose', short: 'v', help: 'report progress on standard error' },
];

const PHASES: Record<IndexPhase, string> = {
  receiving: 'Receiving objects',
  indexing: 'Indexing objects',
  resolving: 'Resolving deltas',
};

/** git's meters for index-pack -v, one per phase: "Indexing objects:  42% (420/1000)", then ", done." */
export function progressPrinter(out: NodeJS.WriteStream = process.stderr) {
  let phase: IndexPhase | null = null;
  let meter: Progress | null = null;
  return {
    update(p: IndexPhase, done: number, total: number) {
      if (p !== phase || !meter) {
        meter?.stop();
        phase = p;
        meter = new Progress(PHASES[p], total, out);
      }
      meter.update(done);
    },
    /** Ends the current meter with `, <msg>.` (default `, done.`). */
    end(msg?: string) {
      meter?.stop(msg);
      meter = null;
      phase = null;
    },
  };
}

export const indexPackCommand: Command = {
  summary: 'Build the .idx of a pack, as git index-pack does',
  usage: () => `usage: wasmgit index-pack [-o <idx>] [--strict] [--keep[=<msg>]] [--threads <n>] [-v] <pack>
   or: wasmgit index-pack --stdin [--fix-thin] [--strict] [-o <idx>] [--keep[=<msg>]] [--threads <n>] [-v] [<pack>]

${formatOptions(specs)}
`,
  async run(argv) {
    const { opts, positional } = parseArgs(argv, specs);
    if (positional.length > 1) throw new UsageError('too many arguments');
    const pack = positional[0];
    // Unset or 0 (as in git): as many as the pack's deltas pay for, up to one per core.
    let threads: number | undefined;
    if (opts.threads !== undefined) {
      threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 0) throw new UsageError(`invalid number of threads specified (${opts.threads})`);
      if (threads === 0) threads = undefined;
    }
    if (opts['fix-thin'] && !opts.stdin) throw new Error("the option '--fix-thin' requires '--stdin'");
    const progress = opts.verbose ? progressPrinter() : null;
    const keep = opts.keep as string | undefined;
    // The repository: where --stdin stores a pack without <pack>, where
    // --fix-thin finds bases and --strict the .gitmodules blobs a pack lacks.
    // As in git, --stdin needs one even with <pack> given.
    const repo = discoverGitDir();
    if (opts.stdin && !repo) throw new Error('--stdin requires a git repository');
    const objects = repo && (opts['fix-thin'] || opts.strict) ? await repositoryObjects(repo) : null;
    try {
      const strict = opts.strict ? { lookup: objects?.lookup, typeOf: objects?.typeOf, report: (line: string) => void process.stderr.write(`${line}\n`) } : undefined;
      const common = { threads, idxPath: opts.output as string | undefined, keep, strict, onProgress: progress?.update };
      if (!opts.stdin) {
        if (!pack) throw new UsageError('missing <pack>');
        const r = await indexPack(pack, common);
        progress?.end();
        process.stdout.write(`${r.packChecksum}\n`);
        return 0;
      }
      let where: { packPath: string } | { packDir: string };
      if (pack) {
        if (!pack.endsWith('.pack')) throw new Error(`packfile name '${pack}' does not end with '.pack'`);
        where = { packPath: pack };
      } else {
        where = { packDir: join(repo!.commonDir, 'objects', 'pack') };
        mkdirSync(where.packDir, { recursive: true });
      }
      let indexer: PackIndexer;
      try {
        indexer = await PackIndexer.create({ ...common, ...where, fixThin: opts['fix-thin'] ? objects! : undefined });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`unable to create '${pack}': File exists`);
        throw err;
      }
      try {
        for await (const chunk of createReadStream('', { fd: 0, highWaterMark: 1 << 20 })) indexer.write(chunk as Buffer);
      } catch (err) {
        indexer.abort();
        throw err;
      }
      const r = await indexer.finish();
      // git's stop_progress_msg() after fix_unresolved_deltas().
      progress?.end(r.appended ? `completed with ${r.appended} local object${r.appended === 1 ? '' : 's'}` : undefined);
      process.stdout.write(`${r.keepPath ? 'keep' : 'pack'}\t${r.packChecksum}\n`);
      return 0;
    } finally {
      objects?.close();
    }
  },
};

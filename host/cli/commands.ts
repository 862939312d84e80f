// The table of subcommands. Each lives in its own module under host/cli/ and
// exports a Command; the dispatcher in wasmgit.ts knows nothing else about them.
import { indexPackCommand } from './index-pack.ts';
import { verifyPackCommand } from './verify-pack.ts';
import { lsRemote } from './ls-remote.ts';
import { cloneCommand } from './clone.ts';

export interface Command {
  summary: string;
  usage(): string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  clone: cloneCommand,
  'index-pack': indexPackCommand,
  'verify-pack': verifyPackCommand,
  'ls-remote': lsRemote,
};

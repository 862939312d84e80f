// What the command does when its standard output or error cannot be written.
//
// git is ended by SIGPIPE when its reader goes away (`wasmgit ls-remote | head
// -1`): exit status 141, no message, and a clone removes what it made on the
// way out (its signal handler's remove_junk). Node ignores SIGPIPE and reports
// EPIPE as an 'error' event on the stream instead, which, unhandled, ended
// the process with a stack trace and left a clone half made. Here that event
// becomes git's outcome: the running command is asked to stop (a clone then
// cleans up as for SIGINT) and the status is 141. Another write failure on
// standard output (a full disk behind `>`) is git's "write failure on
// standard output", status 128; on stderr it is ignored, as git ignores it.

import { systemErrorReason } from '../errors.ts';

export const EXIT_BROKEN_PIPE = 141;
const EXIT_FATAL = 128;

let stop: ((code: number) => void) | null = null;
let failed: number | undefined;

/** Watches stdout and stderr for write failures; call once, before the command writes. */
export function watchOutput(): void {
  const onError = (stream: 'stdout' | 'stderr') => (err: NodeJS.ErrnoException) => {
    if (failed !== undefined) return; // the first failure decides; later writes fail the same way
    if (err.code === 'EPIPE') failed = EXIT_BROKEN_PIPE;
    // git ignores other failures to write stderr (progress to a full disk does not stop a clone).
    else if (stream === 'stderr') return;
    else {
      failed = EXIT_FATAL;
      // The reason by its code: a file's error reads "ENOSPC: no space left on device, write", a pipe's only "write EIO".
      process.stderr.write(`fatal: write failure on standard output: ${systemErrorReason(err) ?? err.code ?? err.message}\n`);
    }
    process.exitCode = failed;
    if (stop) stop(failed);
    else process.exit(failed);
  };
  process.stdout.on('error', onError('stdout'));
  process.stderr.on('error', onError('stderr'));
}

/**
 * While a command that must clean up runs: `fn(code)` is called instead of
 * exiting when output fails, and the command ends itself with that code.
 * Returns the function that removes the hook.
 */
export function onOutputFailure(fn: (code: number) => void): () => void {
  stop = fn;
  return () => {
    if (stop === fn) stop = null;
  };
}

/** The exit status a failed output imposes, if one failed. */
export function outputFailure(): number | undefined {
  return failed;
}

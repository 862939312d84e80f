// Running a filter driver's smudge command (filter.<driver>.smudge), as git's
// apply_single_file_filter() does: `%f` becomes the path, quoted for the
// shell; the command runs through `sh -c` in the work tree's root, gets the
// content on stdin and gives the file's content on stdout. Its stderr is
// passed on, as git passes it on.
import { builtin } from '../builtins.ts';

/** sq_quote_buf(): single quotes, with ' and ! taken out of them. */
function shellQuote(path: string): string {
  return `'${path.replace(/['!]/g, (c) => `'\\${c}'`)}'`;
}

/** strbuf_expand() with git's one key: `%f` the quoted path, `%%` a percent sign, any other `%` kept. */
export function expandCommand(cmd: string, path: string): string {
  return cmd.replace(/%(.)?/gs, (m, c: string | undefined) => (c === 'f' ? shellQuote(path) : c === '%' ? '%' : m));
}

/**
 * Runs `cmd` on `input` for the file at `path` (bytes). Resolves to its
 * output, or null when it failed (after reporting as git does).
 */
export function runSmudge(cmd: string, path: Buffer, input: Uint8Array, o: { cwd: string; env: NodeJS.ProcessEnv; warn(message: string): void }): Promise<Uint8Array | null> {
  const expanded = expandCommand(cmd, path.toString('latin1'));
  return new Promise((resolve) => {
    // prepare_shell_cmd(): `sh -c '<cmd> "$@"' '<cmd>'`. The command line is
    // bytes; latin1 carries each byte through unchanged.
    const text = Buffer.from(expanded, 'latin1').toString('utf8');
    const child = builtin.childProcess().spawn('sh', ['-c', `${text} "$@"`, text], { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let failed = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A filter may exit without reading all of its input (git ignores EPIPE).
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      // git's start_command() names the program and why it could not run
      // (here also a runtime's refusal: Deno without --allow-run).
      if (!failed) o.warn(`error: cannot run sh: ${e.message}`);
      failed = true;
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').replace(/\n$/, '');
      if (stderr) o.warn(stderr);
      if (failed || code !== 0) {
        const status = code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : -1);
        o.warn(`error: external filter '${cmd}' failed ${status}`);
        o.warn(`error: external filter '${cmd}' failed`);
        resolve(null);
        return;
      }
      resolve(Buffer.concat(out));
    });
    child.stdin.end(input);
  });
}

function signalNumber(name: string): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 } as Record<string, number>)[name];
}

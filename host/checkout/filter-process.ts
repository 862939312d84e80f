// A long-running filter process (`filter.<driver>.process`, as Git LFS
// installs one), spoken to as git's convert.c and sub-process.c speak to it
// (gitattributes(5), "Long Running Filter Process"; the handshake is
// gitprotocol-common's long-running-process protocol): one process for the
// whole checkout, pkt-lines both ways.
//
//   handshake  git> git-filter-client, version=2, flush
//              git< git-filter-server, version=2, flush
//              git> capability=clean, capability=smudge, capability=delay, flush
//              git< the capabilities it wants, flush
//   each file  git> command=smudge, pathname=<path>, [ref=, treeish=,] blob=, flush,
//                   the content in packets of at most 65516 bytes, flush
//              git< status=success, flush, the content, flush, [status list], flush
//
// A status of `error` fails that file; `abort` fails it and every later one
// (the filter is asked nothing more). A filter that took the `delay`
// capability is told `can-delay=1` and may answer `status=delayed` (Git LFS
// then downloads in batches): once every other file is written, it is asked
// `command=list_available_blobs` until it lists none, and each path it lists
// is asked for again, with no content, as git's finish_delayed_checkout()
// does.
import type { ChildProcess } from 'node:child_process';
import { builtin } from '../builtins.ts';
import { FLUSH, MAX_PAYLOAD, PktReader, pkt, text, type Pkt } from '../protocol/pktline.ts';
import { TransportError } from '../protocol/errors.ts';

/** Characters that make git run a command through the shell (run-command.c prepare_shell_cmd()). */
const SHELL_META = /[|&;<>()$`\\"' \t\n*?[#~=%]/;

export interface SmudgeMeta {
  /** The ref being checked out (refs/heads/<branch>), when there is one. */
  ref?: string;
  /** The commit being checked out (40 hex digits). */
  treeish?: string;
  /** The blob's id (40 hex digits). */
  blob: string;
}

/** The filter process stopped in the middle of the protocol: git dies then, filter required or not. */
export class FilterProcessGone extends Error {
  constructor(message = 'the remote end hung up unexpectedly') {
    super(message);
  }
}

/** Writing to the filter process failed (it has exited): during the handshake, git gives up on starting it. */
class WriteFailed extends Error {}

/** The answer for a file the filter will give later (after list_available_blobs). */
export const DELAYED = Symbol('delayed');

export class FilterProcess {
  private smudgeOk = false;
  /** The filter took the delay capability. */
  canDelay = false;
  private aborted = false;
  /** Resolves to the signal that ended the process (null when it exited by itself). */
  private readonly exited: Promise<NodeJS.Signals | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly reader: PktReader,
  ) {
    this.exited = new Promise((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  }

  /**
   * Starts `cmd` in `cwd` and shakes hands. Null when it cannot be started
   * or does not speak the protocol (git's errors reported through `warn`);
   * FilterProcessGone when it stops during the handshake.
   */
  static async start(cmd: string, o: { cwd: string; env: NodeJS.ProcessEnv; warn(message: string): void; signal?: AbortSignal }): Promise<FilterProcess | null> {
    const cp = builtin.childProcess();
    const viaShell = SHELL_META.test(cmd);
    // In a process group of its own, so that stopping it stops what its shell started too.
    const spawnOpts = { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] as ('pipe')[], detached: true };
    const child = viaShell ? cp.spawn('sh', ['-c', cmd], spawnOpts) : cp.spawn(cmd, [], spawnOpts);
    const started = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (err) => resolve(err));
    });
    if (started) {
      const why = (started as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : started.message;
      o.warn(`error: cannot run ${cmd}: ${why}`);
      o.warn(`error: cannot fork to run subprocess '${cmd}'`);
      return null;
    }
    // An abort stops it: a wait for its answer then ends (the caller throws the abort's reason).
    const stop = () => FilterProcess.terminate(child);
    o.signal?.addEventListener('abort', stop, { once: true });
    child.once('close', () => o.signal?.removeEventListener('abort', stop));
    // Its stderr is the terminal's, as git leaves it: passed on line by line.
    let pending = '';
    child.stderr!.on('data', (b: Buffer) => {
      const lines = (pending + b.toString('utf8')).split('\n');
      pending = lines.pop()!;
      for (const l of lines) o.warn(l);
    });
    child.stderr!.on('end', () => pending && o.warn(pending));
    // A filter that exits before reading all it is sent is a failure reported below, not a crash here.
    child.stdin!.on('error', () => {});
    const reader = new PktReader(child.stdout![Symbol.asyncIterator](), cmd, () => new FilterProcessGone());
    const p = new FilterProcess(child, reader);
    try {
      try {
        await p.send([pkt('git-filter-client\n'), pkt('version=2\n'), FLUSH]);
      } catch (err) {
        if (!(err instanceof WriteFailed)) throw err;
        // A process that has already exited (git's write and read race; either failure may come first).
        o.warn('error: packet write with format failed');
        o.warn('error: Could not write client identification');
        o.warn(`error: initialization for subprocess '${cmd}' failed`);
        FilterProcess.terminate(child);
        return null;
      }
      const hello = await p.list();
      if (hello[0] !== 'git-filter-server' || !hello.slice(1).includes('version=2')) {
        o.warn(hello[0] !== 'git-filter-server' ? `error: Unexpected line '${hello[0] ?? ''}', expected git-filter-server` : 'error: bad version');
        o.warn(`error: initialization for subprocess '${cmd}' failed`);
        // git stops it (SIGTERM) and reports how it ended.
        FilterProcess.terminate(child);
        if ((await p.exited) === 'SIGTERM') o.warn(`error: ${cmd} died of signal 15`);
        return null;
      }
      await p.say([pkt('capability=clean\n'), pkt('capability=smudge\n'), pkt('capability=delay\n'), FLUSH]);
      const caps = await p.list();
      p.smudgeOk = caps.includes('capability=smudge');
      p.canDelay = caps.includes('capability=delay');
    } catch (err) {
      FilterProcess.terminate(child);
      throw err;
    }
    return p;
  }

  /** SIGTERM to the process's group (itself, and what its shell started). */
  private static terminate(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  }

  /** Writes `parts`, waiting for room; rejects with WriteFailed once the process's input is gone. */
  private send(parts: Uint8Array[]): Promise<void> {
    const stdin = this.child.stdin!;
    if (stdin.destroyed || !stdin.writable) return Promise.reject(new WriteFailed());
    return new Promise((resolve, reject) => {
      let i = 0;
      const done = (err?: unknown) => {
        stdin.off('error', fail);
        stdin.off('close', fail);
        stdin.off('drain', next);
        if (err) reject(new WriteFailed());
        else resolve();
      };
      const fail = (err?: unknown) => done(err ?? new WriteFailed());
      const next = (): void => {
        while (i < parts.length) {
          if (!stdin.write(parts[i++])) {
            stdin.once('drain', next);
            return;
          }
        }
        // Written to the pipe; a process gone since is seen when its answer does not come.
        done();
      };
      stdin.once('error', fail);
      stdin.once('close', fail);
      next();
    });
  }

  /** send() once the handshake has begun: a process gone is git's fatal error. */
  private async say(parts: Uint8Array[]): Promise<void> {
    try {
      await this.send(parts);
    } catch (err) {
      throw err instanceof WriteFailed ? new FilterProcessGone() : err;
    }
  }

  /** The next packet; the process's end or garbage is git's fatal packet_read() error. */
  private async read(): Promise<Pkt> {
    let p: Pkt | null;
    try {
      p = await this.reader.read();
    } catch (err) {
      if (err instanceof FilterProcessGone) throw err;
      throw new FilterProcessGone(err instanceof TransportError && err.kind === 'protocol' ? err.message : undefined);
    }
    if (!p) throw new FilterProcessGone();
    return p;
  }

  /** Data packets up to a flush, as text (their LF taken off). */
  private async list(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const p = await this.read();
      if (p.kind === 'flush') return out;
      if (p.kind === 'data') out.push(text(p.data));
    }
  }

  /** The status a list sets ("status=<s>"), or `previous` when it sets none. */
  private static status(lines: string[], previous: string): string {
    let s = previous;
    for (const l of lines) if (l.startsWith('status=')) s = l.slice(7);
    return s;
  }

  /**
   * The smudged content of `data` for `path`; null when the filter refused it
   * (status error or abort); DELAYED when `mayDelay` and the filter will give
   * it later.
   */
  async smudge(path: Buffer, meta: SmudgeMeta, data: Uint8Array, mayDelay = false): Promise<Uint8Array | null | typeof DELAYED> {
    if (!this.smudgeOk || this.aborted) return null;
    const head = [pkt('command=smudge\n'), pkt(Buffer.concat([Buffer.from('pathname='), path, Buffer.from('\n')]))];
    if (meta.ref) head.push(pkt(`ref=${meta.ref}\n`));
    if (meta.treeish) head.push(pkt(`treeish=${meta.treeish}\n`));
    head.push(pkt(`blob=${meta.blob}\n`));
    const delay = mayDelay && this.canDelay;
    if (delay) head.push(pkt('can-delay=1\n'));
    head.push(FLUSH);
    const body: Uint8Array[] = [];
    for (let o = 0; o < data.length; o += MAX_PAYLOAD) body.push(pkt(data.subarray(o, o + MAX_PAYLOAD)));
    body.push(FLUSH);
    await this.say([...head, ...body]);
    let status = FilterProcess.status(await this.list(), '');
    if (status === 'delayed' && delay) return DELAYED;
    if (status === 'success') {
      const parts: Uint8Array[] = [];
      for (;;) {
        const p = await this.read();
        if (p.kind === 'flush') break;
        if (p.kind === 'data') parts.push(p.data);
      }
      status = FilterProcess.status(await this.list(), status);
      if (status === 'success') return Buffer.concat(parts);
    }
    if (status === 'abort') this.aborted = true;
    return null;
  }

  /** The delayed paths the filter has ready (it blocks until one is, or lists none when it has no more). */
  async available(): Promise<Buffer[]> {
    await this.say([pkt('command=list_available_blobs\n'), FLUSH]);
    const paths: Buffer[] = [];
    for (;;) {
      const p = await this.read();
      if (p.kind === 'flush') break;
      if (p.kind !== 'data') continue;
      const line = Buffer.from(p.data[p.data.length - 1] === 10 ? p.data.subarray(0, -1) : p.data);
      if (line.subarray(0, 9).toString('latin1') === 'pathname=') paths.push(line.subarray(9));
    }
    const status = FilterProcess.status(await this.list(), '');
    if (status !== 'success') throw new FilterProcessGone(`could not get the list of available blobs (${status || 'no status'})`);
    return paths;
  }

  /**
   * Closes its input and waits for it to exit, as git does when the command
   * ends; `kill`: stops it instead (a failed or interrupted checkout does not
   * wait for a filter busy downloading).
   */
  async close(kill = false): Promise<void> {
    if (kill) FilterProcess.terminate(this.child);
    else this.child.stdin!.end();
    await this.exited;
  }
}

// The channel for stateful transports (git://, ssh, file://): one duplex byte
// stream to upload-pack for the whole conversation. The connection is made when
// the conversation starts; a child process's stderr is kept (bounded) so a failure
// can say what the other side said, as git does when it relays it to the terminal.

import type { Channel } from '../protocol/client.ts';
import { TransportError, hungUp } from '../protocol/errors.ts';
import { PktReader } from '../protocol/pktline.ts';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';

export interface Connection {
  readable: AsyncIterable<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  /** Closes our side; resolves once the other side is gone (or after a grace period, when it is killed). */
  end(): Promise<void>;
  destroy(): void;
  /** What the other side wrote to stderr, if it is a process. */
  stderr(): string;
  /** That stderr was passed on as it came (OpenOptions.onStderr), so errors need not repeat it. */
  stderrShown?: boolean;
  /** Resolves when the peer has gone (process exited, socket closed); its exit code when it is a process. */
  gone(): Promise<number | null>;
}

const GRACE_MS = 2000;
const STDERR_CAP = 16 * 1024;

export function childConnection(child: ChildProcessWithoutNullStreams, onStderr?: (text: string) => void): Connection {
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (err.length < STDERR_CAP) err += d;
    onStderr?.(d);
  });
  child.stdin.on('error', () => {}); // EPIPE when the child died first: its exit tells the story
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('close', (code) => resolve(code));
  });
  return {
    readable: child.stdout,
    write: (bytes) =>
      new Promise<void>((resolve) => {
        // A failed write is not fatal here: the child's exit and stderr explain it on the next read.
        if (child.stdin.destroyed || !child.stdin.writable) return resolve();
        child.stdin.write(bytes, () => resolve());
      }),
    end: async () => {
      child.stdin.end();
      // Output nobody reads any more (the conversation ended early: a local
      // failure mid-pack) would leave the child blocked on a full pipe, and
      // the paused pipe would keep 'close' from firing even after it died.
      child.stdout.destroy();
      const t = setTimeout(() => child.kill('SIGTERM'), GRACE_MS);
      await exited;
      clearTimeout(t);
    },
    destroy: () => {
      child.stdin.destroy();
      child.stdout.destroy();
      child.kill('SIGKILL');
    },
    stderr: () => err,
    stderrShown: !!onStderr,
    gone: () => exited,
  };
}

export function socketConnection(sock: Socket): Connection {
  const closed = new Promise<number | null>((resolve) => sock.once('close', () => resolve(null)));
  sock.on('error', () => {}); // surfaced through the reader
  return {
    readable: sock,
    write: (bytes) =>
      new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        sock.write(bytes, () => resolve());
      }),
    end: async () => {
      // Once our last bytes are out nothing more is read: output left unread
      // (a local failure mid-pack) would hold 'close' back until the grace ran out.
      sock.end(() => sock.destroy());
      const t = setTimeout(() => sock.destroy(), GRACE_MS);
      await closed;
      clearTimeout(t);
    },
    destroy: () => sock.destroy(),
    stderr: () => '',
    gone: () => closed,
  };
}

export class StreamChannel implements Channel {
  readonly stateless = false;
  private conn: Connection | null = null;
  private last: Connection | null = null; // kept after end() so explain() can read its stderr
  private reader: PktReader | null = null;
  /** A request was sent: the other side's first answer had come (git's initial contact was made). */
  private sent = false;

  constructor(
    readonly url: string,
    private readonly connect: () => Promise<Connection>,
  ) {}

  async open(): Promise<PktReader> {
    const conn = await this.connect();
    this.conn = conn;
    this.last = conn;
    this.sent = false;
    this.reader = new PktReader(conn.readable[Symbol.asyncIterator](), this.url, (err) => hungUp(this.url, (err as Error)?.message));
    return this.reader;
  }

  async send(body: Uint8Array): Promise<PktReader> {
    if (!this.conn || !this.reader) throw new TransportError('protocol', 'no conversation to send to', this.url);
    this.sent = true;
    await this.conn.write(body);
    return this.reader;
  }

  async end(goodbye?: Uint8Array): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    this.reader = null;
    if (!conn) return;
    if (goodbye) await conn.write(goodbye);
    await conn.end();
  }

  destroy(): void {
    this.conn?.destroy();
  }

  /**
   * A stream that ended early usually means the other side refused: say what it
   * said on stderr and end with git's "Could not read from remote repository."
   */
  async explain(err: unknown): Promise<unknown> {
    const conn = this.last;
    if (!conn || !(err instanceof TransportError) || err.kind !== 'connection') return err;
    const code = await Promise.race([conn.gone(), new Promise<'running'>((r) => setTimeout(() => r('running'), GRACE_MS).unref())]);
    const stderr = conn.stderr();
    if (!stderr.trim() && (code === 0 || code === null || code === 'running')) return err;
    // A program that failed without a word gets git's closing words alone.
    return couldNotRead(this.url, stderr, undefined, conn.stderrShown, this.sent);
  }
}

/**
 * git's closing words when a spawned transport fails, with the child's stderr
 * before them (`shown`: it was already passed on, so the CLI prints only the closing words).
 * "Could not read from remote repository" is connect.c's die_initial_contact();
 * once the other side had answered (`contacted`), an early end is packet_read()'s
 * "the remote end hung up unexpectedly", as when upload-pack refuses a request.
 */
export function couldNotRead(url: string, stderr: string, fallback?: string, shown = false, contacted = false): TransportError {
  // The CLI adds its own `fatal: `; keep the child's other lines as they are.
  const said = stderr.trim().replace(/^fatal: /, '');
  const notFound = /does not appear to be a git repository|not a git repository|no such repository|repository '.*' (does not exist|not found)/i.test(said);
  const reason = contacted ? 'the remote end hung up unexpectedly' : 'Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.';
  const message = said || fallback ? `${said || fallback}\n${reason}` : reason;
  return new TransportError(notFound ? 'not-found' : 'connection', message, url, stderr.trim() ? { text: shown ? '' : stderr.replace(/\n*$/, '\n'), reason } : undefined);
}

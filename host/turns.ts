// Long synchronous work (resolving deltas, writing a checkout) gives the event
// loop a turn every few steps. Signal handlers (SIGINT, SIGTERM) and timers
// that abort run only then: without turns an interrupt would wait for the
// whole phase, minutes on a large repository. Turns are counted, not timed, so
// where one falls does not depend on the machine's speed.

export class Turns {
  private calls = 0;

  /** A turn every `every` calls of take(). */
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly every = 1,
  ) {}

  /** Throws when aborted; on every `every`-th call first yields to the event loop. */
  async take(): Promise<void> {
    this.signal?.throwIfAborted();
    if (++this.calls % this.every !== 0) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.signal?.throwIfAborted();
  }
}

/**
 * Runs `work` after the event loop has been through its I/O phase once: for
 * work not needed until a server answers, started just after a request so that
 * it fills the wait instead of delaying the request (on a new connection the
 * request is written when the loop sees the socket connected).
 */
export function afterPendingIo<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))).then(work);
}

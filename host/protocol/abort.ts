// A request in flight and the AbortSignal that may end it.

/**
 * Runs `work` with `onAbort(reason)` called if `signal` aborts before it
 * ends (closing the channel, so that pending reads fail). An abort's reason is
 * what is thrown then; another failure goes through `recover`, still
 * watched, which gives the error to throw.
 */
export async function watchAbort<T>(signal: AbortSignal | undefined, onAbort: (reason: unknown) => void, work: () => Promise<T>, recover?: (err: unknown) => Promise<unknown>): Promise<T> {
  const abort = () => onAbort(signal!.reason);
  if (signal) {
    if (signal.aborted) throw signal.reason;
    signal.addEventListener('abort', abort, { once: true });
  }
  try {
    return await work();
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw recover ? await recover(err) : err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

// One error type for everything that goes wrong talking to a remote. `kind` lets a
// caller decide (retry, ask for credentials, report "not found"); `message` reads
// like git's own, without the `fatal: ` prefix the CLI adds.

export type TransportErrorKind =
  | 'not-found'
  | 'auth'
  | 'protocol'
  | 'connection'
  | 'remote-error'
  | 'timeout'
  | 'unsupported';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly url: string,
    /**
     * What a spawned transport (ssh, upload-pack) wrote to stderr, as it wrote
     * it, when `message` begins with it: git lets the child print to the
     * terminal, then says its own `fatal: <reason>`. An empty reason: the
     * text ends with its own verdict (dumb HTTP's "error: fetch failed."),
     * and git adds no fatal line.
     */
    readonly relayed?: { text: string; reason: string },
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** git's wording when a stream ends where the protocol expects more. */
export function hungUp(url: string, detail?: string): TransportError {
  return new TransportError('connection', `the remote end hung up unexpectedly${detail ? ` (${detail})` : ''}`, url);
}

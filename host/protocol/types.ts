// The shapes the protocol code and every transport share (see host/transport/index.ts,
// which re-exports them as the transport API).

export interface RemoteRef {
  name: string;
  oid: string;
  /** The object an annotated tag points to, after peeling all tag layers. */
  peeled?: string;
  /** For symbolic refs (HEAD): the ref it points to. */
  symrefTarget?: string;
}

export interface Advertisement {
  refs: RemoteRef[];
  /** Where the remote's HEAD points, even when HEAD is unborn (empty repository). */
  headTarget?: string;
  protocol: 0 | 1 | 2;
  capabilities: Map<string, string | true>;
  objectFormat: 'sha1' | 'sha256';
  /**
   * A shallow repository's own boundary, as protocol v0/v1 advertises it
   * (`shallow <oid>` after the refs); v2 sends it in the fetch's shallow-info.
   */
  shallow?: string[];
}

export interface FetchRequest {
  wants: string[];
  haves?: string[];
  depth?: number;
  shallowSince?: Date;
  shallowExclude?: string[];
  /** A partial-clone filter spec, e.g. `blob:none`. */
  filter?: string;
  includeTag?: boolean;
  /**
   * `thin-pack`: deltas may be made against the `haves`' objects, which the
   * pack then lacks (the receiver completes it: index-pack --fix-thin).
   */
  thinPack?: boolean;
  noProgress?: boolean;
  /** `--server-option` values (protocol v2 only), sent as `server-option=<value>` lines. */
  serverOptions?: string[];
  signal?: AbortSignal;
}

export interface FetchSink {
  /** Receives the pack stream in order; awaited, so a slow consumer slows the download. */
  pack(chunk: Uint8Array): void | Promise<void>;
  /** Receives side-band 2 text as sent (progress lines keep their `\r`). */
  remoteMessage(text: string): void;
  /**
   * The object directory of the repository fetched into. A transport that
   * fetches objects itself rather than as one pack stream (dumb HTTP) stores
   * them here (loose objects, and packs under pack/ with their .idx) and names
   * the packs in FetchResult.packs; without it, such a transport cannot fetch.
   */
  objectDir?: string;
  /**
   * How many objects such a transport has walked so far (dumb HTTP: git's
   * count-only "Fetching objects" meter); `final` once, at the end.
   */
  walked?(objects: number, final?: boolean): void;
}

export interface FetchResult {
  /** Commits the remote made shallow boundaries (`shallow <oid>`). */
  shallow: string[];
  /** Commits that are no longer shallow (`unshallow <oid>`). */
  unshallow: string[];
  /** Things the transport ignored, as git warns about them (e.g. a filter the server does not support). */
  warnings?: string[];
  /** Packs the transport stored itself under FetchSink.objectDir (dumb HTTP), .idx beside each. */
  packs?: string[];
}

export interface Remote {
  url: string;
  /** `serverOptions`: `--server-option` values, sent with protocol v2's ls-refs (ignored by v0 servers: the caller refuses them). */
  advertise(opts?: { prefixes?: string[]; serverOptions?: string[] }): Promise<Advertisement>;
  fetch(req: FetchRequest, sink: FetchSink): Promise<FetchResult>;
  close(): Promise<void>;
}

export interface OpenOptions {
  env?: NodeJS.ProcessEnv;
  /** git configuration (`-c` and config files), keys as git spells them; looked up case-insensitively. */
  config?: Map<string, string>;
  signal?: AbortSignal;
  onRedirect?(from: string, to: string): void;
  /**
   * `--upload-pack`: the command run for upload-pack where git runs one (file://,
   * ssh, and a local path, which then goes through it too), as shell text with
   * the repository path appended. http(s):// and git:// servers choose their own.
   */
  uploadPack?: string;
  /**
   * What a spawned transport program (upload-pack, ssh) writes to stderr, as
   * it comes: git lets it through to the terminal (ssh's host-key warnings,
   * a server's greeting). Without it the text appears only in errors.
   */
  onStderr?(text: string): void;
  /** `-4`/`-6`: connect over IPv4 or IPv6 only (http(s), git://, and ssh's own -4/-6). */
  ipFamily?: 4 | 6;
  /** `-v`: say what goes over the wire where git's transports say it (HTTP: each POST and its size), through onStderr. */
  verbose?: boolean;
}

// Typed errors of the library API. Each carries the fields a caller needs to act
// on the failure (URL, ref, path, offset) besides a git-style message; the CLI
// prints `fatal: <message>` and exits 128 for all of them.

/** Base class: every failure of a wasmgit operation is one of these. */
export class WasmgitError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A clone failed; `url` is the repository being cloned. */
export class CloneError extends WasmgitError {
  readonly url?: string;
  readonly path?: string;
  readonly offset?: number;
  constructor(message: string, fields: { url?: string; path?: string; offset?: number; cause?: unknown } = {}) {
    super(message, { cause: fields.cause });
    this.url = fields.url;
    this.path = fields.path;
    this.offset = fields.offset;
  }
}

/** The repository does not exist (local path missing, HTTP 404, ...). */
export class RepositoryNotFoundError extends CloneError {}

/** `--branch <ref>` names no branch or tag of the remote. */
export class RefNotFoundError extends CloneError {
  readonly ref: string;
  constructor(message: string, fields: { ref: string; url?: string }) {
    super(message, fields);
    this.ref = fields.ref;
  }
}

/** A ref name that `git check-ref-format` would refuse. */
export class InvalidRefNameError extends WasmgitError {
  constructor(readonly ref: string, readonly reason: string) {
    // The name may come from a server: control characters are shown escaped,
    // never sent to the user's terminal (an escape sequence could rewrite it).
    super(`'${ref.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}' is not a valid ref name: ${reason}`);
  }
}

/**
 * A submodule could not be cloned or checked out (--recurse-submodules). The
 * superproject is kept, as git keeps it; `exitCode` is what git's clone exits
 * with: 1 when a submodule clone failed twice or a nested submodule failed
 * (the details were reported as progress notes), 128 when git would die with
 * this message (e.g. the recorded commit cannot be fetched).
 */
export class SubmoduleError extends CloneError {
  readonly exitCode: 1 | 128;
  constructor(message: string, exitCode: 1 | 128, fields: { url?: string; path?: string; cause?: unknown } = {}) {
    super(message, fields);
    this.exitCode = exitCode;
  }
}

/**
 * `--sparse` could not set up the sparse checkout: with `--bare` (or
 * `--mirror`) there is no work tree. git's clone fails there with exit status
 * 1 (its `git sparse-checkout set` child dies), removing what it created.
 */
export class SparseCheckoutError extends CloneError {
  readonly exitCode = 1;
}

/** The target directory exists and is not empty. */
export class DestinationExistsError extends CloneError {}

/** A configuration key or value that git would refuse. */
export class ConfigError extends WasmgitError {
  constructor(message: string, readonly key?: string) {
    super(message);
  }
}

/** The operation was stopped by its AbortSignal (or SIGINT/SIGTERM in the CLI). */
export class AbortError extends WasmgitError {
  constructor(message = 'the operation was aborted', readonly reason?: unknown) {
    super(message);
  }
}

/**
 * A system call's failure in git's words: Node's "ENOSPC: no space left on
 * device, write" becomes "write error: No space left on device" (git's
 * write_or_die), one with a path "unable to <call> '<path>': <reason>".
 * Null when `err` is not a system error.
 */
export function systemErrorMessage(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  const why = systemErrorReason(err);
  if (why === null) return null;
  // process.cwd() in a directory since removed (git's strbuf_getcwd() failing).
  if (e.syscall === 'uv_cwd') return `Unable to read current working directory: ${why}`;
  if (e.path) return `unable to ${e.syscall} '${e.path}': ${why}`;
  return e.syscall === 'write' ? `write error: ${why}` : `${e.syscall} failed: ${why}`;
}

// strerror() as git prints it, by code: libuv's texts differ for some, and
// Node's messages around them change between releases (Node 24 words
// process.cwd()'s failure in a sentence of its own).
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EISDIR: 'Is a directory',
  EBUSY: 'Device or resource busy',
  EIO: 'Input/output error',
  ECONNRESET: 'Connection reset by peer',
  EXDEV: 'Invalid cross-device link',
};

/** A system error's reason as git prints it (strerror(errno)): "Not a directory"; null when `err` is not a system error. */
export function systemErrorReason(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  if (STRERROR[e.code]) return STRERROR[e.code];
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message);
  if (!m) return null;
  return m[1].charAt(0).toUpperCase() + m[1].slice(1);
}

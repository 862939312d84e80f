// wasmgit as a library: the typed API that the CLI is a thin layer over.
export { VERSION } from './version.ts';
export { loadCore, CoreError } from './core/index.ts';
export { openRemote, TransportError } from './transport/index.ts';
export type { Advertisement, FetchRequest, FetchResult, FetchSink, OpenOptions, Remote, RemoteRef, TransportErrorKind } from './transport/index.ts';
export { clone } from './clone.ts';
export type { CloneOptions, CloneResult, CloneEvent } from './clone.ts';
export { WasmgitError, CloneError, RepositoryNotFoundError, RefNotFoundError, InvalidRefNameError, DestinationExistsError, SubmoduleError, SparseCheckoutError, ConfigError, AbortError } from './errors.ts';
export { GitProgressPrinter, type PrinterOptions } from './progress/printer.ts';

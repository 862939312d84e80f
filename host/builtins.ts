// Node built-ins that only some paths need, loaded on first use.
//
// Start-up is a large share of a small clone: loading node:https and node:tls
// up front costs every plain-http, git:// or local clone tens of milliseconds,
// node:http (and ~1 MiB) every command that does not speak HTTP, and
// node:child_process, node:net, node:zlib and node:worker_threads a few more.
// Static imports of them are kept for types only (`import type`).
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const builtin = {
  http: (): typeof import('node:http') => load('node:http'),
  https: (): typeof import('node:https') => load('node:https'),
  tls: (): typeof import('node:tls') => load('node:tls'),
  net: (): typeof import('node:net') => load('node:net'),
  zlib: (): typeof import('node:zlib') => load('node:zlib'),
  childProcess: (): typeof import('node:child_process') => load('node:child_process'),
  workerThreads: (): typeof import('node:worker_threads') => load('node:worker_threads'),
};

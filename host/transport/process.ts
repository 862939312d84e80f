// Small helpers for the transports that run programs: finding one on PATH the
// way a shell would, and running one to completion with bounded output capture.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { builtin } from '../builtins.ts';

/** The full path of `cmd` on `env.PATH`, or null (so callers can say "needs git installed" instead of failing obscurely). */
export function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = isAbsolute(cmd) || cmd.includes('/') ? [cmd] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch (err) {
      // Only "not here" moves on to the next directory. Any other failure is
      // the check itself being refused (Deno without --allow-sys or
      // --allow-read throws NotCapable, with no errno code): calling that "not
      // installed" would send the user after the wrong problem.
      if (!NOT_HERE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return null;
}

/** access(2) failures meaning this candidate is not an executable file. */
const NOT_HERE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG', 'EPERM']);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with `input` on stdin; never rejects for a non-zero exit, only for a failure to start. */
export function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = builtin.childProcess().spawn(cmd, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const cap = 1 << 20;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < cap) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < cap) stderr += d;
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a program that does not read its input is not an error here
    child.stdin.end(opts.input ?? '');
  });
}

/** Quotes for a POSIX shell the way git's sq_quote does: '…', with each ' as '\'' and ! as '\!'. */
export function sqQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`).replace(/!/g, `'\\!'`)}'`;
}

/**
 * The environment for a transport's child (upload-pack, ssh): the caller's,
 * without the variables that name the local repository (git's
 * local_repo_env), which would otherwise point the child at the repository
 * wasmgit runs in (a hook's GIT_DIR, say) instead of the one it was asked for.
 */
export function transportEnv(env: NodeJS.ProcessEnv, protocolVersion: number): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of LOCAL_REPO_ENV) delete out[name];
  if (protocolVersion > 0) out.GIT_PROTOCOL = `version=${protocolVersion}`;
  return out;
}

const LOCAL_REPO_ENV = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
];

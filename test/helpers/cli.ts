// Running the wasmgit command as users do: from the sources (through tsx) or
// from the bundle in dist/ (what the package ships).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function wasmgit(args: string[], opts: { input?: Uint8Array; bundle?: boolean; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  // tsx by its path, so that it loads whatever the working directory (default: the project root).
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const argv = opts.bundle ? [join(root, 'dist/cli/wasmgit.js'), ...args] : ['--import', tsx, join(root, 'host/cli/wasmgit.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { cwd: opts.cwd ?? root, env: opts.env, input: opts.input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A command run without blocking the event loop (a server in this process
 * must keep answering it): its exit status and output.
 */
export function runAsync(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? root, env: opts.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** wasmgit from the sources, as runAsync runs a command. */
export function wasmgitAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  return runAsync(process.execPath, ['--import', tsx, join(root, 'host/cli/wasmgit.ts'), ...args], opts);
}

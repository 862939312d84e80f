// Running real git, the oracle, from tests and benchmarks.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** No user or system config and a fixed identity, so results do not depend on the machine. */
export const gitIdentityEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'A U Thor',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'C O Mitter',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
};

/** gitIdentityEnv with fixed dates too: the same commands make the same objects. */
export const gitEnv: NodeJS.ProcessEnv = {
  ...gitIdentityEnv,
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
};

export interface GitOptions {
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  /** Kill git after this many ms (default: none), so a stuck command fails the test instead of hanging it. */
  timeout?: number;
}

/** Runs git in `cwd` and returns its stdout; throws (with git's stderr) when git fails. */
export function git(cwd: string, args: string[], opts: GitOptions = {}): string {
  return execFileSync('git', args, { cwd, env: opts.env ?? gitEnv, input: opts.input, timeout: opts.timeout, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function gitBytes(cwd: string, args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync('git', args, { cwd, env: gitEnv, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** git without blocking the event loop: needed when the server runs in this process. */
export function gitAsync(cwd: string | undefined, args: string[], opts: Omit<GitOptions, 'input'> = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: opts.env ?? gitEnv, timeout: opts.timeout, encoding: 'utf8', maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `wasmgit-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Running real git, the oracle, from tests and benchmarks.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fixed identity and no user config, so results do not depend on the machine. */
export const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'A U Thor',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'C O Mitter',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
};

export function git(cwd: string, args: string[], opts: { input?: string | Uint8Array; encoding?: 'buffer' } = {}): string {
  const o: ExecFileSyncOptions = { cwd, env: gitEnv, input: opts.input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] };
  return execFileSync('git', args, { ...o, encoding: 'utf8' }) as string;
}

export function gitBytes(cwd: string, args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync('git', args, { cwd, env: gitEnv, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] }) as Buffer;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `wasmgit-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

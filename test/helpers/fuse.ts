// A FUSE passthrough filesystem with direct_io for tests (test/fixtures/fuse/):
// built with gcc against libfuse3, mounted over a temporary directory, always
// unmounted with `fusermount3 -u`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/fuse/', import.meta.url));

/** Mounting is not possible here (no permission, no fusermount3): tests skip with this reason. */
export class MountUnavailable extends Error {}

/** Why FUSE cannot be used at all on this machine, or null. */
export function fuseDeviceMissing(): string | null {
  if (process.platform !== 'linux') return `FUSE tests need Linux (this is ${process.platform})`;
  if (!existsSync('/dev/fuse')) return '/dev/fuse does not exist (no FUSE in this kernel or container)';
  return null;
}

/** Compiles the passthrough filesystem and the mmap probe into `dir`. */
export function buildFuseTools(dir: string): { passthrough: string; probe: string } {
  const flags = execFileSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' }).trim().split(/\s+/);
  const passthrough = join(dir, 'passthrough');
  const probe = join(dir, 'mmap-probe');
  execFileSync('gcc', ['-Wall', '-O2', join(fixtures, 'passthrough.c'), ...flags, '-o', passthrough], { stdio: 'pipe' });
  execFileSync('gcc', ['-Wall', '-O2', join(fixtures, 'mmap-probe.c'), '-o', probe], { stdio: 'pipe' });
  return { passthrough, probe };
}

/** True when `dir` is a mount point (per /proc/self/mountinfo, which escapes spaces and such as octal). */
function isMounted(dir: string): boolean {
  const want = resolve(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === want);
}

const active = new Set<string>();
// A test process that dies mid-test still leaves no mount behind.
process.on('exit', () => {
  for (const m of active) spawnSync('fusermount3', ['-u', '-z', m]);
});

export interface Passthrough {
  mountpoint: string;
  backing: string;
  unmount(): Promise<void>;
}

/** Mounts `backing` at `mountpoint` through the passthrough binary and waits until the mount is live. */
export async function mountPassthrough(binary: string, backing: string, mountpoint: string, timeoutMs = 10000): Promise<Passthrough> {
  const child: ChildProcess = spawn(binary, [backing, mountpoint, '-f'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  const deadline = Date.now() + timeoutMs;
  while (!isMounted(mountpoint)) {
    if (spawnError) throw spawnError;
    if (exited !== undefined) throw new MountUnavailable(`mounting FUSE failed: ${stderr.trim() || `exit code ${exited}`}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`FUSE mount at ${mountpoint} did not appear within ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  active.add(mountpoint);
  return {
    mountpoint,
    backing,
    async unmount() {
      // A just-closed file can keep the mount busy for a moment.
      for (let i = 0; isMounted(mountpoint); i++) {
        const r = spawnSync('fusermount3', ['-u', mountpoint], { encoding: 'utf8' });
        if (r.status === 0) break;
        if (i >= 50) {
          spawnSync('fusermount3', ['-u', '-z', mountpoint]);
          break;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      active.delete(mountpoint);
      if (exited === undefined) {
        const done = new Promise((r) => child.once('exit', r));
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
    },
  };
}

/** Mounts, runs `fn`, and unmounts whatever happens. */
export async function withPassthrough<T>(binary: string, backing: string, mountpoint: string, fn: (m: Passthrough) => Promise<T> | T): Promise<T> {
  const m = await mountPassthrough(binary, backing, mountpoint);
  try {
    return await fn(m);
  } finally {
    await m.unmount();
  }
}

// Repositories to serve in transport tests, and the checks that a fetched pack is
// what git would have fetched: real git builds the source, real git indexes the
// received pack and fsck's the result.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRemote, TransportError, type Advertisement, type FetchSink, type Remote, type RemoteRef } from '../../host/transport/index.ts';
import { gitAsync, gitEnv, git as runGit, tempDir } from './git.ts';

export { tempDir };

/** gitEnv, and nothing that could prompt or reroute a transport: no terminal prompts, no askpass, no ssh or protocol overrides. */
export const testEnv: NodeJS.ProcessEnv = {
  ...gitEnv,
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  WASMGIT_HTTP_TIMEOUT_MS: '20000',
};
delete testEnv.GIT_SSH_COMMAND;
delete testEnv.GIT_SSH;
delete testEnv.GIT_PROTOCOL;

/** git with testEnv, killed after a minute: a transport test must fail, not hang. */
export function git(cwd: string, args: string[], input?: string | Uint8Array, env: NodeJS.ProcessEnv = testEnv): string {
  return runGit(cwd, args, { input, env, timeout: 60_000 });
}

/**
 * A served root holding `repo.git`: a bare clone of a small history with two
 * branches, an annotated tag, a tag of that tag, a lightweight tag, nested trees,
 * and an incompressible 256 KiB blob so packs are big enough to cut in the middle.
 * uploadpack.allowFilter is on so partial clones can be asked for.
 */
export function makeServedRoot(dir: string): { root: string; repo: string; work: string } {
  const work = join(dir, 'work');
  const root = join(dir, 'root');
  mkdirSync(root);
  git(dir, ['init', '-q', '-b', 'main', work]);
  for (let i = 1; i <= 4; i++) {
    mkdirSync(join(work, 'src', `d${i}`), { recursive: true });
    writeFileSync(join(work, 'src', `d${i}`, 'file.txt'), `file ${i}\n`.repeat(50 * i));
    writeFileSync(join(work, 'README'), `revision ${i}\n`);
    if (i === 2) writeFileSync(join(work, 'big.bin'), randomBytes(256 * 1024));
    git(work, ['add', '-A']);
    // A day apart, so deepen-since has a boundary to find.
    const date = `${1_700_000_000 + i * 86_400} +0000`;
    git(work, ['commit', '-q', '-m', `commit ${i}`], undefined, { ...testEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    if (i === 2) git(work, ['tag', '-a', 'v0.2', '-m', 'version 0.2']);
  }
  git(work, ['tag', 'light']);
  git(work, ['tag', '-a', 'v0.2-signed', '-m', 'a tag of a tag', 'v0.2']);
  git(work, ['checkout', '-q', '-b', 'dev', 'HEAD~1']);
  writeFileSync(join(work, 'dev.txt'), 'on dev\n');
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', 'dev work']);
  git(work, ['checkout', '-q', 'main']);
  const repo = join(root, 'repo.git');
  git(dir, ['clone', '-q', '--bare', work, repo]);
  git(repo, ['config', 'uploadpack.allowFilter', 'true']);
  git(repo, ['config', 'http.receivepack', 'false']);
  return { root, repo, work };
}

/** What `git ls-remote <url>` prints, as lines. Asynchronous: the server may live in this process. */
export async function gitLsRemote(url: string, env: NodeJS.ProcessEnv = testEnv, args: string[] = []): Promise<string[]> {
  const { stdout } = await gitAsync(undefined, ['ls-remote', ...args, url], { env, timeout: 30_000 });
  return stdout.split('\n').filter(Boolean);
}

/** A sink that keeps the pack in memory (test packs are small) and the remote's messages. */
export function collectingSink(): FetchSink & { bytes(): Buffer; messages: string[]; chunks: number } {
  const parts: Uint8Array[] = [];
  const messages: string[] = [];
  const sink = {
    messages,
    chunks: 0,
    pack(c: Uint8Array) {
      parts.push(Uint8Array.from(c));
      sink.chunks++;
    },
    remoteMessage(t: string) {
      messages.push(t);
    },
    bytes: () => Buffer.concat(parts),
  };
  return sink;
}

export interface Verified {
  /** `git verify-pack -v` object lines: `<oid> <type> ...`. */
  objects: Map<string, string>;
  gitDir: string;
}

/**
 * Indexes `pack` with real `git index-pack` in a fresh bare repository, points
 * refs at the advertised ids (writing `shallow` when given), and runs
 * `git fsck --full --strict`: every ref's history must be complete.
 * With `promisor`, the repository is set up as a partial clone so fsck accepts
 * objects a filter left out.
 */
export function verifyFetched(dir: string, pack: Uint8Array, refs: RemoteRef[], opts: { shallow?: string[]; promisor?: string } = {}): Verified {
  const gitDir = mkdtempSync(join(dir, 'verify-'));
  git(gitDir, ['init', '-q', '--bare']);
  const out = git(gitDir, ['index-pack', '--stdin'], pack).trim();
  const packId = out.replace(/^(pack|keep)\t/, '');
  if (opts.promisor) {
    writeFileSync(join(gitDir, 'objects', 'pack', `pack-${packId}.promisor`), '');
    git(gitDir, ['config', 'remote.origin.url', opts.promisor]);
    git(gitDir, ['config', 'remote.origin.promisor', 'true']);
    git(gitDir, ['config', 'extensions.partialclone', 'origin']);
  }
  for (const ref of refs) if (ref.name.startsWith('refs/')) git(gitDir, ['update-ref', ref.name, ref.oid]);
  if (opts.shallow?.length) writeFileSync(join(gitDir, 'shallow'), `${[...new Set(opts.shallow)].sort().join('\n')}\n`);
  const fsck = spawnSync('git', ['fsck', '--full', '--strict', '--no-progress'], { cwd: gitDir, env: testEnv, encoding: 'utf8', timeout: 60_000 });
  if (fsck.status !== 0) throw new Error(`git fsck failed (${fsck.status}):\n${fsck.stdout}\n${fsck.stderr}`);
  const objects = new Map<string, string>();
  const verify = git(gitDir, ['verify-pack', '-v', join(gitDir, 'objects', 'pack', `pack-${packId}.idx`)]);
  for (const line of verify.split('\n')) {
    const m = /^([0-9a-f]{40}) +(\w+) /.exec(line);
    if (m) objects.set(m[1], m[2]);
  }
  return { objects, gitDir };
}

/** Rejects after `ms` so a stuck server interaction fails the test instead of hanging it. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The TransportError `work` must end in (within 20 s); anything else, success included, fails the test. */
export async function transportFailure(work: () => Promise<unknown>): Promise<TransportError> {
  try {
    await within(20_000, 'the failing operation', work());
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error('expected a TransportError, but the operation succeeded');
}

/**
 * Advertises `url`, fetches every advertised ref and checks the pack with
 * verifyFetched (in `dir`). Resolves to the advertisement.
 */
export async function fetchAllVerified(dir: string, url: string, env: NodeJS.ProcessEnv, opts: { config?: Map<string, string>; fetchMs?: number } = {}): Promise<Advertisement> {
  const remote = await openRemote(url, { env, config: opts.config });
  try {
    const adv = await within(20_000, 'advertise', remote.advertise());
    const sink = collectingSink();
    const res = await within(opts.fetchMs ?? 30_000, 'fetch', remote.fetch({ wants: adv.refs.map((r) => r.oid) }, sink));
    verifyFetched(dir, sink.bytes(), adv.refs, { shallow: res.shallow });
    return adv;
  } finally {
    await remote.close();
  }
}

/**
 * Fetches every advertised ref from `remote`, which must fail with a
 * TransportError; closes it and returns the error and what arrived first.
 */
export async function failingFetchAll(remote: Remote): Promise<{ err: TransportError; sink: ReturnType<typeof collectingSink> }> {
  const sink = collectingSink();
  const err = await transportFailure(async () => {
    const adv = await remote.advertise();
    await remote.fetch({ wants: adv.refs.map((r) => r.oid) }, sink);
  });
  await remote.close();
  return { err, sink };
}

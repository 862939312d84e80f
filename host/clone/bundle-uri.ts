// `git clone --bundle-uri=<uri>` (git 2.39, bundle-uri.c fetch_bundle_uri):
// before the fetch, a bundle from `<uri>` (a path, file:// or http(s)://) is
// unbundled into the new repository and its branches stored as
// refs/bundles/<name>; the fetch then tells the server those commits are here,
// so it sends only what came after (nothing, when the bundle has it all). A
// bundle that cannot be had or used is a warning, as with git, and the clone
// goes on without it.
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpClient } from '../transport/http-client.ts';
import { isBundleFile, openBundle } from '../transport/bundle.ts';
import { writeLooseRef } from '../repo/refs.ts';
import { receivePack, type IndexSettings } from './pieces.ts';
import type { CloneEvent } from '../clone.ts';

export interface BundleUriOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Map<string, string>;
  emit(e: CloneEvent): void;
  index?: IndexSettings;
  signal?: AbortSignal;
}

/** What the bundle brought: its pack, and the objects its references name (haves for the fetch). */
export interface Bundled {
  pack: string | null;
  haves: string[];
}

const NOTHING: Bundled = { pack: null, haves: [] };

/** Unbundles the bundle at `uri` into the repository at `gitDir` (its common directory); see above. */
export async function fetchBundleUri(uri: string, gitDir: string, opts: BundleUriOptions): Promise<Bundled> {
  const warn = (message: string) => opts.emit({ phase: 'warning', message });
  const failed = (): Bundled => {
    warn(`failed to fetch objects from bundle URI '${uri}'`);
    return NOTHING;
  };
  // git downloads into objects/bundles/ (and leaves the directory there).
  const dir = join(gitDir, 'objects', 'bundles');
  mkdirSync(dir, { recursive: true });
  let path: string;
  let download: string | null = null;
  try {
    if (/^https?:\/\//i.test(uri)) {
      download = join(dir, `tmp_uri_${Math.random().toString(36).slice(2, 8)}`);
      path = download;
      await get(uri, download, opts);
    } else {
      path = uri.startsWith('file://') ? fileURLToPath(uri) : resolve(opts.cwd, uri);
      if (!existsSync(path) || !statSync(path).isFile()) throw new Error('no such file');
    }
  } catch (err) {
    if (download) rmSync(download, { force: true });
    if (opts.signal?.aborted) throw err;
    warn(`failed to download bundle from URI '${uri}'`);
    return failed();
  }
  try {
    if (!isBundleFile(path)) {
      // git would read it as a bundle list next; wasmgit knows bundles only.
      warn(`file at URI '${uri}' is not a bundle or bundle list`);
      return failed();
    }
    const remote = openBundle(path, path, { env: opts.env, config: opts.config, signal: opts.signal });
    let pack: string | null = null;
    let refs: { name: string; oid: string }[];
    try {
      refs = (await remote.advertise({})).refs;
      const wants = [...new Set(refs.map((r) => r.oid))];
      if (wants.length) {
        // Quietly, as git unbundles it: no meters.
        const r = await receivePack(remote, gitDir, { wants, noProgress: true, signal: opts.signal }, { emit: () => {}, index: opts.index, signal: opts.signal });
        pack = r.pack?.pack ?? null;
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      return failed();
    } finally {
      await remote.close();
    }
    // Its branches become refs/bundles/<name>; other references are not kept.
    for (const ref of refs) {
      if (ref.name.startsWith('refs/heads/')) writeLooseRef(gitDir, `refs/bundles/${ref.name.slice('refs/heads/'.length)}`, ref.oid);
    }
    return { pack, haves: [...new Set(refs.map((r) => r.oid))] };
  } finally {
    if (download) rmSync(download, { force: true });
  }
}

/** Downloads `uri` to `file` (a GET through the transport's HTTP client: proxies, TLS settings, redirects). */
async function get(uri: string, file: string, opts: BundleUriOptions): Promise<void> {
  let url = new URL(uri);
  const headers: Record<string, string> = { Accept: '*/*' };
  if (url.username) headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = url.password = '';
  const client = new HttpClient(opts.env, opts.config, () => uri);
  // An interrupted clone stops the download at once, not when it ends.
  const onAbort = () => client.destroyAll(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
  opts.signal?.addEventListener('abort', onAbort);
  try {
    opts.signal?.throwIfAborted();
    let res = await client.request({ method: 'GET', url, headers });
    // Redirects, as curl follows them for git (at most 5).
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.status) && hops < 5; hops++) {
      const to = new URL(String(res.headers.location ?? ''), url);
      res.discard();
      if (to.host !== url.host) delete headers.Authorization;
      url = to;
      res = await client.request({ method: 'GET', url, headers });
    }
    if (res.status !== 200) {
      res.discard();
      throw new Error(`HTTP ${res.status}`);
    }
    const out = createWriteStream(file);
    try {
      for (;;) {
        const { value, done } = await res.body.next();
        if (done) break;
        if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
    } finally {
      await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    client.destroyAll();
  }
}

// Smart HTTP (gitprotocol-http): GET $url/info/refs?service=git-upload-pack for
// the greeting, then one POST to $url/git-upload-pack per request. Protocol v2 is
// asked for with the `Git-Protocol: version=2` header; a server that ignores it
// answers with a v0 advertisement and the conversation continues in v0. A server
// that answers with the plain info/refs file is a dumb one (dumb-http.ts).

import { VERSION } from '../version.ts';
import type { Channel } from '../protocol/client.ts';
import { TransportError, hungUp } from '../protocol/errors.ts';
import { watchAbort } from '../protocol/abort.ts';
import { PktReader, text } from '../protocol/pktline.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, OpenOptions, Remote } from '../protocol/types.ts';
import { dumbAdvertisement, dumbFetch, readBody } from './dumb-http.ts';
import { configGet, wantedProtocol } from './config.ts';
import { CredentialError, fillCredential, reportCredential, type Credential, type CredentialContext } from './credentials.ts';
import { HttpClient, type HttpResponse } from './http-client.ts';
import { ChannelRemote } from './remote.ts';
import { builtin } from '../builtins.ts';

const SERVICE = 'git-upload-pack';
/** Request bodies larger than this are sent gzipped, as git's remote-curl sends them (post_rpc). */
const GZIP_REQUEST_OVER = 1024;
const MAX_REDIRECTS = 5;
/** How much of an error answer's text is read to show it. */
const MESSAGE_MAX = 64 * 1024;
// Some hosts serve the smart protocol only to user agents that start with `git/`;
// libgit2 and others identify the same way, naming themselves in the comment.
const USER_AGENT = `git/2.0 (wasmgit/${VERSION})`;

/** A URL without its userinfo and without a trailing slash: the base every request path is appended to. */
function baseOf(u: URL): URL {
  const b = new URL(u.href);
  b.username = '';
  b.password = '';
  b.hash = '';
  b.pathname = b.pathname.replace(/\/+$/, '');
  return b;
}

function joinPath(base: URL, suffix: string): URL {
  const u = new URL(base.href);
  const [path, query] = suffix.split('?');
  u.pathname = `${base.pathname}/${path}`;
  u.search = query ? `?${query}` : '';
  return u;
}

export class HttpChannel implements Channel {
  readonly stateless = true;
  private base: URL;
  private readonly client: HttpClient;
  private readonly version: 0 | 1 | 2;
  private readonly extraHeaders: Record<string, string> = {};
  private cred: Credential | null = null;
  private readonly credCtx: CredentialContext;
  private responses = new Set<HttpResponse>();
  /** The URL as given (no credentials, no trailing slash), for messages: git prints what was typed, not its %-encoding. */
  private shown: string;

  constructor(
    url: string,
    private readonly opts: OpenOptions,
  ) {
    const u = new URL(url);
    this.base = baseOf(u);
    this.shown = url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1').replace(/#.*$/s, '').replace(/\/+$/, '');
    const env = opts.env ?? process.env;
    this.client = new HttpClient(env, opts.config, () => this.url, opts.ipFamily);
    this.version = wantedProtocol(opts.config);
    const extra = configGet(opts.config, 'http.extraHeader');
    if (extra) {
      const colon = extra.indexOf(':');
      if (colon > 0) this.extraHeaders[extra.slice(0, colon).trim()] = extra.slice(colon + 1).trim();
    }
    const username = u.username ? decodeURIComponent(u.username) : undefined;
    if (username !== undefined && u.password) this.cred = { username, password: decodeURIComponent(u.password), source: 'url' };
    this.credCtx = { url: this.base, username, env, config: opts.config };
  }

  /** The repository URL as git prints it: no credentials, a trailing slash. */
  get url(): string {
    return `${this.shown}/`;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = {
      'User-Agent': USER_AGENT,
      'Accept-Encoding': 'deflate, gzip',
      Pragma: 'no-cache',
      ...this.extraHeaders,
      ...extra,
    };
    if (this.version > 0) h['Git-Protocol'] = `version=${this.version}`;
    if (this.cred) h.Authorization = `Basic ${Buffer.from(`${this.cred.username}:${this.cred.password}`).toString('base64')}`;
    return h;
  }

  /**
   * Requests a dumb-HTTP walk keeps in flight: http.maxRequests (git's
   * default 5). Agents made from now on allow as many connections.
   */
  parallelRequests(): number {
    const n = Number(configGet(this.opts.config, 'http.maxRequests') ?? 5);
    const max = Number.isInteger(n) && n > 0 ? n : 5;
    if (this.client.maxSockets !== max) {
      this.client.closeIdle();
      this.client.maxSockets = max;
    }
    return max;
  }

  /** http.followRedirects=true: git then fetches from a dumb server's alternates (http-walker.c is_alternate_allowed()). */
  get followAlternates(): boolean {
    return /^(true|yes|on|1)$/i.test(configGet(this.opts.config, 'http.followRedirects')?.trim() ?? '');
  }

  /** GIT_SMART_HTTP (default true): false makes every server a dumb one. */
  private get smartAllowed(): boolean {
    const v = (this.opts.env ?? process.env).GIT_SMART_HTTP;
    return v === undefined || !/^(0|false|no|off)$/i.test(v.trim());
  }

  /**
   * A dumb-HTTP GET of a file below the repository: its answer, or null when
   * the server has no such file (404, 410). Only the discovery request follows
   * redirects (curl under git follows the initial request's only).
   */
  async getFile(path: string): Promise<HttpResponse | null> {
    const res = await this.exchange('GET', path, { Accept: '*/*' }, undefined, false, true);
    if (res.status === 404 || res.status === 410) {
      res.release();
      return null;
    }
    return res;
  }

  /** Sends one request, asking for credentials once on a 401 and following redirects when `follow`; with `missingOk` a 404 or 410 is returned, not thrown. */
  private async exchange(method: 'GET' | 'POST', suffix: string, headers: Record<string, string>, body: Uint8Array | undefined, follow: boolean, missingOk = false): Promise<HttpResponse> {
    // curl, under git, refuses a URL with a raw space or control character rather than encode it.
    if (/[\x00-\x20\x7f]/.test(this.shown)) throw new TransportError('connection', `unable to access '${this.url}': URL using bad/illegal format or missing URL`, this.url);
    let askedForCredentials = false;
    let redirects = 0;
    let target = joinPath(this.base, suffix);
    for (;;) {
      const res = await this.client.request({ method, url: target, headers: this.headers(headers), body });
      const s = res.status;
      if (follow && (s === 301 || s === 302 || s === 303 || s === 307 || s === 308)) {
        res.discard();
        const loc = res.headers.location;
        if (!loc) throw new TransportError('protocol', `unable to access '${this.url}': redirect (${s}) without a Location`, this.url);
        if (++redirects > MAX_REDIRECTS) throw new TransportError('connection', `unable to access '${this.url}': Maximum (${MAX_REDIRECTS}) redirects followed`, this.url);
        const next = new URL(loc, target);
        // As git does, later requests go to the redirected base: the new URL must
        // still end in the path we asked for, and what precedes it is the new base.
        const asked = `/${suffix}`;
        const tail = next.pathname + next.search;
        if (!tail.endsWith(asked)) {
          throw new TransportError('protocol', `unable to update url base from redirection:\n  asked for: ${target.href}\n   redirect: ${next.href}`, this.url);
        }
        const from = this.url;
        const newBase = new URL(next.href);
        newBase.search = '';
        newBase.pathname = tail.slice(0, tail.length - asked.length).split('?')[0];
        if (newBase.origin !== this.base.origin && this.cred?.source === 'url') this.cred = null; // never hand credentials to another host
        this.base = baseOf(newBase);
        this.shown = this.base.href.replace(/\/+$/, '');
        this.opts.onRedirect?.(from, this.url);
        target = next;
        continue;
      }
      if (s === 401) {
        if (askedForCredentials || this.cred?.source === 'url') {
          if (follow) await this.showMessage(res);
          res.discard();
          if (this.cred) await reportCredential(this.credCtx, this.cred, 'reject');
          throw new TransportError('auth', `Authentication failed for '${this.url}'`, this.url);
        }
        res.discard();
        askedForCredentials = true;
        try {
          this.credCtx.url = this.base;
          this.cred = await fillCredential(this.credCtx);
        } catch (err) {
          if (!(err instanceof CredentialError)) throw err;
          // git's credential_fill() dies with its own words ("could not read Username for ..."), nothing around them.
          throw new TransportError('auth', err.message, this.url);
        }
        continue;
      }
      if (s >= 200 && s < 300 && askedForCredentials && this.cred) await reportCredential(this.credCtx, this.cred, 'approve');
      if (missingOk && (s === 404 || s === 410)) return res;
      if (s < 200 || s >= 300) {
        if (follow) await this.showMessage(res);
        res.discard();
      }
      if (s === 404 || s === 410) throw new TransportError('not-found', `repository '${this.url}' not found`, this.url);
      if (s === 403 || s === 407) throw new TransportError('auth', `unable to access '${this.url}': The requested URL returned error: ${s}`, this.url);
      if (s < 200 || s >= 300) throw new TransportError('remote-error', `unable to access '${this.url}': The requested URL returned error: ${s}`, this.url);
      return res;
    }
  }

  /**
   * http.c show_http_message(): a refused discovery request's text/plain body
   * is the server's explanation, shown line by line as `remote: <line>` before
   * git's own fatal line. Other types (HTML error pages) are not shown.
   */
  private async showMessage(res: HttpResponse): Promise<void> {
    if (res.contentType !== 'text/plain' || !this.opts.onStderr) return;
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for (let r = await res.body.next(); !r.done && size < MESSAGE_MAX; r = await res.body.next()) {
        parts.push(r.value);
        size += r.value.length;
      }
    } catch {
      // a body cut short: show what came
    }
    const msg = Buffer.concat(parts).subarray(0, MESSAGE_MAX).toString('utf8').trim();
    if (msg) this.opts.onStderr(msg.split('\n').map((l) => `remote: ${l}\n`).join(''));
  }

  private reader(res: HttpResponse): PktReader {
    this.responses.add(res);
    return new PktReader(res.body, this.url, (err) => hungUp(this.url, (err as Error)?.message));
  }

  async open(): Promise<PktReader> {
    // GIT_SMART_HTTP=0 makes git ask for the plain info/refs file, as a dumb client.
    const smart = this.smartAllowed;
    const res = await this.exchange('GET', smart ? `info/refs?service=${SERVICE}` : 'info/refs', { Accept: '*/*' }, undefined, true);
    if (!smart || res.contentType !== `application/x-${SERVICE}-advertisement`) {
      // remote-curl.c discover_refs(): any other answer is the info/refs file of a dumb server.
      let body: Buffer;
      try {
        body = await readBody(res);
      } finally {
        res.release();
      }
      throw new DumbServer(body);
    }
    const r = this.reader(res);
    // A v0/v1 answer starts with `# service=git-upload-pack` and a flush (gitprotocol-http,
    // "Smart Clients"); a v2 answer starts directly with `version 2`.
    const first = await r.expect();
    if (first.kind === 'data' && text(first.data) === `# service=${SERVICE}`) {
      const flush = await r.expect();
      if (flush.kind !== 'flush') throw new TransportError('protocol', 'protocol error: expected a flush after the service line', this.url);
    } else if (first.kind === 'data' && text(first.data).startsWith('# service=')) {
      throw new TransportError('protocol', `protocol error: unexpected service line '${text(first.data)}'`, this.url);
    } else {
      r.unread(first);
    }
    return r;
  }

  async send(body: Uint8Array): Promise<PktReader> {
    // A request goes out once the protocol is done with the answers before it:
    // reading their ends frees the kept connection for this one.
    for (const r of this.responses) r.release();
    this.responses.clear();
    // git's remote-curl gzips a request over 1 KiB (many wants and haves
    // shrink well), and says so with -v.
    const headers: Record<string, string> = { 'Content-Type': `application/x-${SERVICE}-request`, Accept: `application/x-${SERVICE}-result` };
    let sent = body;
    if (body.length > GZIP_REQUEST_OVER) {
      sent = builtin.zlib().gzipSync(body, { level: 9 });
      headers['Content-Encoding'] = 'gzip';
    }
    if (this.opts.verbose) {
      this.opts.onStderr?.(sent === body ? `POST ${SERVICE} (${body.length} bytes)\n` : `POST ${SERVICE} (gzip ${body.length} to ${sent.length} bytes)\n`);
    }
    const res = await this.exchange('POST', SERVICE, headers, sent, false);
    if (res.contentType !== `application/x-${SERVICE}-result`) {
      res.discard();
      throw new TransportError('protocol', `unable to access '${this.url}': invalid Content-Type '${res.contentType || 'none'}' for the ${SERVICE} result`, this.url);
    }
    return this.reader(res);
  }

  async end(): Promise<void> {
    for (const r of this.responses) r.discard();
    this.responses.clear();
    this.client.closeIdle();
  }

  destroy(reason: unknown): void {
    this.client.destroyAll(reason instanceof Error ? reason : undefined);
    for (const r of this.responses) r.discard();
    this.responses.clear();
  }
}

/** The info/refs answer of a server that does not speak the smart protocol: the file itself. */
class DumbServer extends Error {
  constructor(readonly infoRefs: Uint8Array) {
    super('not a smart-HTTP server');
  }
}

/**
 * The remote of an http(s) URL: smart HTTP, or, when the server answers the
 * discovery request with a plain info/refs file, the dumb protocol over the
 * same channel (its credentials, proxies and redirected base).
 */
class HttpRemote implements Remote {
  private readonly smart: ChannelRemote;
  private dumb: { infoRefs: Uint8Array } | null = null;

  constructor(
    readonly url: string,
    private readonly channel: HttpChannel,
    private readonly opts: OpenOptions,
  ) {
    this.smart = new ChannelRemote(url, channel, opts.signal);
  }

  async advertise(o?: { prefixes?: string[]; serverOptions?: string[] }): Promise<Advertisement> {
    if (!this.dumb) {
      try {
        return await this.smart.advertise(o);
      } catch (err) {
        if (!(err instanceof DumbServer)) throw err;
        this.dumb = { infoRefs: err.infoRefs };
      }
    }
    return this.guard(() => dumbAdvertisement(this.channel, this.dumb!.infoRefs, o?.prefixes));
  }

  fetch(req: FetchRequest, sink: FetchSink): Promise<FetchResult> {
    if (!this.dumb) return this.smart.fetch(req, sink);
    return this.guard(() => dumbFetch(this.channel, req, sink, (text) => this.opts.onStderr?.(text)));
  }

  /** An abort ends the requests in flight. */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    return watchAbort(this.opts.signal, (reason) => this.channel.destroy(reason), work);
  }

  close(): Promise<void> {
    return this.smart.close();
  }
}

/** The remote for an http(s) `url`, smart or dumb (credentials in it are used, never shown). */
export function openHttp(url: string, opts: OpenOptions): Remote {
  // transport-helper.c: the HTTP helper has no "servpath" option to take another
  // upload-pack than the default (which is asked for anyway, so git says nothing).
  if (opts.uploadPack !== undefined && opts.uploadPack !== 'git-upload-pack') opts.onStderr?.('warning: setting remote service path not supported by protocol\n');
  const channel = new HttpChannel(url, opts);
  return new HttpRemote(channel.url.replace(/\/$/, ''), channel, opts);
}

// One HTTP(S) request at a time with what git's curl setup gives it: proxies from
// the environment (CONNECT tunnels for https, absolute URIs for http), NO_PROXY,
// TLS settings, an idle timeout and a low-speed limit, and gzip/deflate
// Content-Encoding decoded as the body streams. Node's http/https only.

import type http from 'node:http';
import type https from 'node:https';
import type tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { builtin } from '../builtins.ts';
import { TransportError } from '../protocol/errors.ts';
import { configGet } from './config.ts';
import { configBool } from '../repo/config.ts';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL; // no userinfo
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The media type without parameters, lower-cased. */
  contentType: string;
  /** The decoded body, pulled on demand (backpressure reaches the socket). */
  body: AsyncIterator<Uint8Array>;
  /** Drops the rest of the body and the connection. */
  discard(): void;
  /**
   * Reads what is left of a body the protocol is done with (the end of its
   * chunked encoding), so the connection is free for the next request.
   */
  release(): void;
}

const DEFAULT_IDLE_MS = 5 * 60 * 1000;
/** How long, and how much, the end of a finished answer is read for before its connection is dropped instead. */
const RELEASE_MS = 1000;
const RELEASE_BYTES = 64 << 10;

function envOf(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
}

/** NO_PROXY: `*`, or a comma list of host names (matching subdomains too), optionally with a port or a leading dot. */
function bypassesProxy(url: URL, env: NodeJS.ProcessEnv): boolean {
  const list = envOf(env, 'no_proxy', 'NO_PROXY');
  if (!list) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (let entry of list.split(/[,\s]+/)) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const colon = entry.lastIndexOf(':');
    if (colon > 0 && !entry.includes(']') && /^\d+$/.test(entry.slice(colon + 1))) {
      if (entry.slice(colon + 1) !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) continue;
      entry = entry.slice(0, colon);
    }
    entry = entry.replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy for `url`, as curl picks it: http.proxy config, then https_proxy/HTTPS_PROXY or http_proxy/HTTP_PROXY, then all_proxy. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv, config?: Map<string, string>): URL | null {
  if (bypassesProxy(url, env)) return null;
  const raw =
    configGet(config, 'http.proxy') ||
    (url.protocol === 'https:' ? envOf(env, 'https_proxy', 'HTTPS_PROXY') : envOf(env, 'http_proxy', 'HTTP_PROXY')) ||
    envOf(env, 'all_proxy', 'ALL_PROXY');
  if (!raw) return null;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return null;
  }
}

function describeNetError(err: NodeJS.ErrnoException, url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  switch (err.code) {
    case 'ECONNREFUSED':
      return `Failed to connect to ${url.hostname} port ${port}: Connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Could not resolve host: ${url.hostname}`;
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Failed to connect to ${url.hostname} port ${port}: No route to host`;
  }
  if (err.code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(err.code)) return `SSL certificate problem: ${err.message}`;
  // A TLS failure (e.g. https:// to a plain-HTTP port) comes as "write EPROTO
  // <thread>:error:0A00010B:SSL routines:<function>:<reason>:<source file>:<line>:":
  // said as curl built with OpenSSL says it, without the library's internals.
  const ssl = /error:([0-9A-F]+):SSL routines:[^:]*:([^:\n]+)/.exec(err.message);
  if (ssl) return `OpenSSL/${process.versions.openssl ?? ''}: error:${ssl[1]}:SSL routines::${ssl[2]}`;
  return err.message;
}

export class HttpClient {
  private readonly active = new Set<{ destroy(err?: Error): void }>();
  private readonly idleMs: number;
  private readonly lowSpeed: { limit: number; seconds: number } | null;
  private readonly tlsOptions: tls.ConnectionOptions;
  /**
   * One connection kept open between requests, per protocol, as curl keeps
   * it: a clone's two or three requests then pay one TCP (and TLS) handshake.
   */
  private readonly agents: { http?: import('node:http').Agent; https?: import('node:https').Agent } = {};
  /**
   * Connections at once to the server (agents made after a change use it).
   * One for the smart protocol, whose requests follow one another; a
   * dumb-HTTP walk keeps several object requests in flight, as git does.
   */
  maxSockets = 1;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly config: Map<string, string> | undefined,
    /** The URL as messages show it. */
    private readonly display: () => string,
    /** -4/-6: the address family to connect with (to the server or the proxy), as curl's CURLOPT_IPRESOLVE. */
    private readonly family?: 4 | 6,
  ) {
    this.idleMs = Number(env.WASMGIT_HTTP_TIMEOUT_MS) > 0 ? Number(env.WASMGIT_HTTP_TIMEOUT_MS) : DEFAULT_IDLE_MS;
    const limit = Number(configGet(config, 'http.lowSpeedLimit') ?? env.GIT_HTTP_LOW_SPEED_LIMIT);
    const seconds = Number(configGet(config, 'http.lowSpeedTime') ?? env.GIT_HTTP_LOW_SPEED_TIME);
    this.lowSpeed = limit > 0 && seconds > 0 ? { limit, seconds } : null;
    const sslVerify = configGet(config, 'http.sslVerify');
    const verify = env.GIT_SSL_NO_VERIFY ? false : sslVerify === undefined || configBool(sslVerify, 'http.sslverify');
    const caFile = env.GIT_SSL_CAINFO || configGet(config, 'http.sslCAInfo');
    this.tlsOptions = { rejectUnauthorized: verify };
    if (caFile) this.tlsOptions.ca = readFileSync(caFile);
  }

  private fail(detail: string, kind: TransportError['kind'] = 'connection'): TransportError {
    return new TransportError(kind, `unable to access '${this.display()}': ${detail}`, this.display());
  }

  /** Aborts every request in flight, and closes the connections kept for more. */
  destroyAll(reason?: Error): void {
    for (const r of this.active) r.destroy(reason);
    this.active.clear();
    this.closeIdle();
  }

  /** Closes the connections kept open for further requests. */
  closeIdle(): void {
    this.agents.http?.destroy();
    this.agents.https?.destroy();
    this.agents.http = this.agents.https = undefined;
  }

  private agentFor(isHttps: boolean): import('node:http').Agent {
    if (isHttps) return (this.agents.https ??= new (builtin.https().Agent)({ keepAlive: true, maxSockets: this.maxSockets }));
    return (this.agents.http ??= new (builtin.http().Agent)({ keepAlive: true, maxSockets: this.maxSockets }));
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const proxy = proxyFor(req.url, this.env, this.config);
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['Content-Length'] = String(req.body.length);
    const proxyAuth = proxy && proxy.username ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` : undefined;

    let createConnection: (() => import('node:net').Socket) | undefined;
    if (proxy && req.url.protocol === 'https:') {
      const socket = await this.tunnel(proxy, req.url, proxyAuth);
      createConnection = () => builtin.tls().connect({ ...this.tlsOptions, socket, servername: req.url.hostname.replace(/^\[|\]$/g, '') });
    }

    // An address literal of the other family: nothing to resolve, so no way to connect (curl's words).
    const literal = builtin.net().isIP((proxy ?? req.url).hostname.replace(/^\[|\]$/g, ''));
    if (this.family && literal && literal !== this.family) throw this.fail("Couldn't connect to server");

    let failure: TransportError | null = null;
    return new Promise<HttpResponse>((resolve, reject) => {
      const isHttps = req.url.protocol === 'https:';
      const opts: https.RequestOptions = {
        method: req.method,
        headers,
        // A tunnelled connection is made for the request; any other is kept for the next.
        agent: createConnection ? false : this.agentFor(isHttps),
        ...this.tlsOptions,
      };
      if (this.family) opts.family = this.family;
      if (proxy && !isHttps) {
        // Plain HTTP through a proxy: the request line carries the absolute URI (RFC 9112 §3.2.2).
        opts.host = proxy.hostname.replace(/^\[|\]$/g, '');
        opts.port = proxy.port || 80;
        opts.path = req.url.href;
        headers.Host = req.url.host;
        if (proxyAuth) headers['Proxy-Authorization'] = proxyAuth;
      } else {
        opts.host = req.url.hostname.replace(/^\[|\]$/g, '');
        opts.port = req.url.port || (isHttps ? 443 : 80);
        opts.path = req.url.pathname + req.url.search;
        if (createConnection) opts.createConnection = createConnection as never;
      }
      const cr = (isHttps ? builtin.https() : builtin.http()).request(opts);
      this.active.add(cr);
      let lowSpeedTimer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearInterval(lowSpeedTimer);
        this.active.delete(cr);
      };
      cr.setTimeout(this.idleMs, () => {
        failure = this.fail(`Operation timed out after ${this.idleMs} milliseconds with no data received`, 'timeout');
        cr.destroy(failure);
      });
      if (this.lowSpeed) {
        const { limit, seconds } = this.lowSpeed;
        let last = 0;
        let slowSince = -1;
        let ticks = 0;
        lowSpeedTimer = setInterval(() => {
          ticks++;
          const now = cr.socket?.bytesRead ?? 0;
          if (now - last < limit) {
            if (slowSince < 0) slowSince = ticks - 1;
            if (ticks - slowSince >= seconds) {
              failure = this.fail(`Operation too slow. Less than ${limit} bytes/sec transferred the last ${seconds} seconds`, 'timeout');
              cr.destroy(failure);
            }
          } else slowSince = -1;
          last = now;
        }, 1000);
        lowSpeedTimer.unref();
      }
      cr.on('error', (err: NodeJS.ErrnoException) => {
        cleanup();
        reject(failure ?? (err instanceof TransportError ? err : this.fail(describeNetError(err, req.url))));
      });
      cr.on('response', (res) => {
        const ct = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
        let stream: Readable = res;
        if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
          const decoder = encoding === 'deflate' ? builtin.zlib().createInflate() : builtin.zlib().createGunzip();
          stream = pipeline(res, decoder, () => {});
        }
        res.on('close', cleanup);
        const it = stream[Symbol.asyncIterator]();
        const body: AsyncIterator<Uint8Array> = {
          next: async () => {
            try {
              return await it.next();
            } catch (err) {
              if (failure) throw failure;
              if (err instanceof TransportError) throw err;
              const e = err as NodeJS.ErrnoException;
              if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR') {
                throw this.fail(`bad ${encoding} Content-Encoding in the response: ${e.message}`, 'protocol');
              }
              throw err;
            }
          },
        };
        /** The rest of the body and the connection dropped. */
        const drop = () => {
          cleanup();
          res.destroy();
          cr.destroy();
        };
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          contentType: ct,
          body,
          discard: drop,
          release: () => {
            // What is left is normally the end of a chunked body. A server that
            // sends more, or holds the answer open, loses the connection instead:
            // the next request must not wait behind it.
            const giveUp = setTimeout(drop, RELEASE_MS);
            giveUp.unref();
            void (async () => {
              let left = RELEASE_BYTES;
              try {
                for (let r = await it.next(); !r.done; r = await it.next()) {
                  left -= r.value.length;
                  if (left < 0) {
                    drop();
                    break;
                  }
                }
              } catch {
                // the connection is gone: the next request makes another
              } finally {
                clearTimeout(giveUp);
              }
            })();
          },
        });
      });
      cr.end(req.body);
    });
  }

  /** Opens a CONNECT tunnel through `proxy` to `target`'s host and port. */
  private tunnel(proxy: URL, target: URL, proxyAuth?: string): Promise<import('node:net').Socket> {
    const port = target.port || '443';
    const authority = `${target.hostname}:${port}`;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Host: authority };
      if (proxyAuth) headers['Proxy-Authorization'] = proxyAuth;
      const cr = builtin.http().request({
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port || 80,
        method: 'CONNECT',
        path: authority,
        headers,
        agent: false,
        ...(this.family ? { family: this.family } : {}),
      });
      this.active.add(cr);
      cr.setTimeout(this.idleMs, () => cr.destroy(this.fail(`proxy CONNECT timed out after ${this.idleMs} milliseconds`, 'timeout')));
      cr.on('error', (err: NodeJS.ErrnoException) => {
        this.active.delete(cr);
        reject(err instanceof TransportError ? err : this.fail(`proxy ${proxy.host}: ${describeNetError(err, proxy)}`));
      });
      cr.on('connect', (res, socket) => {
        this.active.delete(cr);
        cr.setTimeout(0);
        if (res.statusCode !== 200) {
          socket.destroy();
          const kind = res.statusCode === 407 ? 'auth' : 'connection';
          reject(this.fail(`Received HTTP code ${res.statusCode} from proxy after CONNECT`, kind));
          return;
        }
        resolve(socket);
      });
      cr.end();
    });
  }
}

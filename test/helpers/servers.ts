// Real git servers for transport tests, all on 127.0.0.1 with ports picked by the
// OS and stopped by the test: a Node HTTP server running `git http-backend` as a
// CGI (with switches for the ways servers differ or fail), `git daemon`, and a fake
// ssh command that runs the "remote" command locally, as git's own test suite does.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import zlib from 'node:zlib';

export interface HttpServerOptions {
  /** Directory holding the repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Do not pass the Git-Protocol header on: the backend then answers in v0. */
  protocolV0Only?: boolean;
  /** Require HTTP basic authentication with these credentials. */
  basicAuth?: { user: string; pass: string };
  /** url() points under /moved/, which answers 301 to the real location. */
  redirect?: boolean;
  /** Compress responses with gzip when the client accepts it. */
  gzip?: boolean;
  /** Answer with CORS headers (and OPTIONS preflights), as a server for browsers would. */
  cors?: boolean;
  /** Serve the repository's files statically, as a dumb-HTTP server does. */
  dumb?: boolean;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Misbehave: cut POST responses after `dropAfter` bytes, answer everything
   * with a status, never answer, answer a byte at a time, or leave the first
   * POST's answer open after all of it was sent (`holdFirstPost`).
   */
  fault?: { dropAfter?: number; status?: number; stall?: boolean; trickle?: boolean; holdFirstPost?: boolean };
}

export interface RequestRecord {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface HttpServer {
  url(repo: string): string;
  port: number;
  requests: RequestRecord[];
  /** Connections accepted (TCP, or TLS once established), so far. */
  readonly connections: number;
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Runs `git http-backend` for one request, streaming its CGI output back. */
function cgi(req: http.IncomingMessage, res: http.ServerResponse, opts: HttpServerOptions, pathInfo: string, query: string, user?: string): void {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_PROJECT_ROOT: opts.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (user) env.REMOTE_USER = user;
  if (!opts.protocolV0Only && req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  child.stderr.resume();
  res.on('close', () => child.kill('SIGKILL'));
  let head = Buffer.alloc(0);
  let headersDone = false;
  let sent = 0;
  let out: NodeJS.WritableStream = res;
  const drop = req.method === 'POST' ? opts.fault?.dropAfter : undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    if (!headersDone) {
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sep = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sep = 2;
      }
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const k = line.slice(0, colon).trim();
        const v = line.slice(colon + 1).trim();
        if (k.toLowerCase() === 'status') status = parseInt(v, 10);
        else res.setHeader(k, v);
      }
      const compress = opts.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      if (compress) {
        res.setHeader('Content-Encoding', 'gzip');
        res.removeHeader('Content-Length');
        const gz = zlib.createGzip();
        gz.pipe(res);
        out = gz;
      }
      res.writeHead(status);
      chunk = head.subarray(end + sep);
    }
    if (drop !== undefined && sent + chunk.length >= drop) {
      out.write(chunk.subarray(0, Math.max(0, drop - sent)));
      // Let what was written reach the socket, then close it (FIN, not a reset that
      // could discard data the client has not read yet) without ending the chunked body.
      const cut = () => setTimeout(() => res.socket?.end(), 50);
      if (out !== res) (out as zlib.Gzip).flush(cut);
      else cut();
      child.kill('SIGKILL');
      child.stdout.removeAllListeners('data');
      child.stdout.removeAllListeners('end');
      return;
    }
    sent += chunk.length;
    if (!out.write(chunk)) {
      child.stdout.pause();
      out.once('drain', () => child.stdout.resume());
    }
  });
  // The first POST of this server (v2: ls-refs) may be held open, its body never ended.
  const hold = req.method === 'POST' && opts.fault?.holdFirstPost && !heldOne.has(opts);
  if (hold) heldOne.add(opts);
  child.stdout.on('end', () => {
    if (!headersDone) {
      res.writeHead(502);
      res.end('http-backend gave no headers');
    } else if (!hold) out.end();
  });
}

/** Servers (by their options) whose first POST answer was held open. */
const heldOne = new WeakSet<HttpServerOptions>();

function serveStatic(res: http.ServerResponse, root: string, path: string): void {
  const file = normalize(join(root, decodeURIComponent(path)));
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': path.endsWith('/info/refs') ? 'text/plain' : 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const requests: RequestRecord[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (opts.fault?.stall) return; // never answers: the client's timeout must end it
    if (opts.fault?.trickle) {
      // The start of a long packet, then one byte every 100 ms: only a low-speed limit ends it.
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
      res.write('fff0');
      const timer = setInterval(() => res.write('a'), 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (opts.cors) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Headers', 'Git-Protocol, Content-Type, Authorization');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Encoding');
      if (req.method === 'OPTIONS') {
        res.writeHead(204);
        res.end();
        return;
      }
    }
    if (opts.fault?.status) {
      res.writeHead(opts.fault.status, { 'Content-Type': 'text/plain' });
      res.end('the server failed on purpose');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname.startsWith('/moved/')) {
      res.writeHead(301, { Location: u.pathname.slice('/moved'.length) + u.search });
      res.end();
      return;
    }
    let user: string | undefined;
    if (opts.basicAuth) {
      const auth = String(req.headers.authorization ?? '');
      const expected = `Basic ${Buffer.from(`${opts.basicAuth.user}:${opts.basicAuth.pass}`).toString('base64')}`;
      if (auth !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="wasmgit test"', 'Content-Type': 'text/plain' });
        res.end('authentication required');
        return;
      }
      user = opts.basicAuth.user;
    }
    if (opts.dumb) return serveStatic(res, opts.root, u.pathname);
    cgi(req, res, opts, u.pathname, u.search.slice(1), user);
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  let connections = 0;
  server.on(opts.tls ? 'secureConnection' : 'connection', () => connections++);
  const port = await listen(server);
  return {
    port,
    requests,
    get connections() {
      return connections;
    },
    url: (repo) => `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}${opts.redirect ? '/moved' : ''}/${repo}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago (git daemon takes a port number, not 0). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`git daemon exited with ${child.exitCode}`));
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`git daemon did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface GitDaemon {
  url(repo: string): string;
  port: number;
  close(): Promise<void>;
}

export async function startGitDaemon(opts: { root: string }): Promise<GitDaemon> {
  const port = await freePort();
  const child = spawn(
    'git',
    ['daemon', '--export-all', `--base-path=${opts.root}`, '--listen=127.0.0.1', `--port=${port}`, '--reuseaddr', '--informative-errors', '--enable=upload-pack', opts.root],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.resume();
  await waitForPort(port, child, 10_000);
  return {
    port,
    url: (repo) => `git://127.0.0.1:${port}/${repo}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * An environment whose GIT_SSH_COMMAND is a script that skips ssh's options,
 * takes the host, and runs the remote command locally with `sh -c`. Each call is
 * appended to the file named by WASMGIT_FAKE_SSH_LOG in the returned env.
 */
export function fakeSshEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgit-fake-ssh-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'fake-ssh');
  const log = join(dir, 'calls.log');
  writeFileSync(
    script,
    `#!/bin/sh
# Records the arguments, skips ssh options, then runs the remote command here.
printf '%s\\n' "$*" >> "$WASMGIT_FAKE_SSH_LOG"
while [ $# -gt 0 ]; do
  case "$1" in
    -p|-o|-i|-l|-F|-J|-P) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
shift
exec sh -c "$*"
`,
  );
  chmodSync(script, 0o755);
  writeFileSync(log, '');
  return { ...base, GIT_SSH_COMMAND: script, GIT_SSH: undefined, WASMGIT_FAKE_SSH_LOG: log };
}

/** A TCP relay to `port` that cuts the connection once `dropAfter` bytes came back from the server. */
export async function startDroppingRelay(port: number, dropAfter: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = 0;
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => {
      if (seen + d.length >= dropAfter) {
        // end(), not destroy(): a reset could discard bytes the client has not read yet.
        client.end(d.subarray(0, dropAfter - seen));
        upstream.destroy();
        upstream.removeAllListeners('data');
        seen = dropAfter;
        return;
      }
      seen += d.length;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end);
  });
  const p = await listen(server);
  return {
    port: p,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Proxy {
  url: string;
  /** Request lines seen: `GET http://…` for proxied HTTP, `CONNECT host:port` for tunnels. */
  seen: string[];
  close(): Promise<void>;
}

/** A forward proxy: absolute-URI requests are relayed, CONNECT opens a TCP tunnel. */
export async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => sockets.add(s));
  server.on('connect', (req, client: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = String(req.url).split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A relay to `port` that lets the server's answer through `bytesPerTick` bytes every 20 ms (a clone still receiving when a test interrupts it). */
export async function slowRelay(port: number, bytesPerTick: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    sockets.add(client).add(up);
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      up.pause();
      let off = 0;
      const tick = () => {
        if (client.destroyed) return up.destroy();
        client.write(chunk.subarray(off, off + bytesPerTick));
        off += bytesPerTick;
        if (off < chunk.length) setTimeout(tick, 20);
        else up.resume();
      };
      tick();
    });
    up.on('end', () => client.end());
    for (const s of [client, up]) s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

/** Whether openssl is here to make a test certificate (selfSignedCert). */
export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * A self-signed certificate for 127.0.0.1, made by openssl in `dir`
 * (key.pem, cert.pem): the key and certificate for startHttpServer's `tls`,
 * and the certificate's path for GIT_SSL_CAINFO.
 */
export function selfSignedCert(dir: string): { key: Buffer; cert: Buffer; certPath: string } {
  const subj = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...subj, '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd: dir, stdio: 'ignore', timeout: 30_000 });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), certPath: join(dir, 'cert.pem') };
}

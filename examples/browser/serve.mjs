#!/usr/bin/env node
// A tiny static server for the browser example: no bundler, no dependencies.
//
//   node examples/browser/serve.mjs [--port 8080] [--git-root <dir>]
//
// Serves the package's examples/, dist/ and build/ (the page imports
// dist/core/index.js, which fetches build/wasmgit.wasm), and redirects / to the
// example. With --git-root, it also serves every repository under <dir> over
// git's smart HTTP at /git/<name> (through `git http-backend`, with the CORS
// headers a page on another origin needs), so the page has something to clone.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVED = ['examples', 'dist', 'build'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Git-Protocol',
  'Access-Control-Max-Age': '600',
};

function serveFile(req, res, root) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/' || path === '/examples/browser') {
    res.writeHead(302, { Location: '/examples/browser/' });
    return res.end();
  }
  const rel = normalize(path).replace(/^[/\\]+/, '');
  const top = rel.split(sep)[0];
  let file = join(root, rel);
  if (!SERVED.includes(top) || !file.startsWith(root)) return notFound(res);
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    const st = statSync(file);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  } catch {
    notFound(res);
  }
}

function notFound(res) {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
}

/**
 * Runs one request through `git http-backend` (CGI) for the repositories under
 * `gitRoot`; `pathInfo` is the path below the mount point. Adds CORS headers.
 */
export function gitHttpBackend(req, res, gitRoot, pathInfo) {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS);
    return res.end();
  }
  const url = new URL(req.url, 'http://x');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    GIT_PROJECT_ROOT: gitRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers = { ...CORS };
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  let stderr = '';
  cgi.stderr.on('data', (d) => (stderr += d));
  cgi.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { ...CORS, 'Content-Type': 'text/plain' });
      res.end(`git http-backend failed (${code}): ${stderr}`);
    } else res.end();
  });
  cgi.on('error', (err) => {
    if (!res.headersSent) res.writeHead(500, { ...CORS, 'Content-Type': 'text/plain' });
    res.end(String(err));
  });
}

/** Starts the server; resolves to { url, close() }. Port 0 picks a free one. */
export function startServer({ port = 8080, host = '127.0.0.1', root = PACKAGE_ROOT, gitRoot } = {}) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (gitRoot && path.startsWith('/git/')) return gitHttpBackend(req, res, gitRoot, path.slice(4));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405);
      return res.end();
    }
    serveFile(req, res, root);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        url: `http://${host}:${addr.port}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const gitRoot = opt('--git-root');
  const { url } = await startServer({ port: Number(opt('--port') ?? 8080), gitRoot });
  console.log(`wasmgit browser example: ${url}/examples/browser/`);
  if (gitRoot) console.log(`repositories under ${gitRoot} are served at ${url}/git/<name>`);
}

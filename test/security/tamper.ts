// A hostile smart-HTTP server for tests: real `git http-backend` behind a front
// that rewrites what it answers. The pack inside a v2 fetch response (band 1
// of the side-band after `packfile`) and the ref lines of an ls-refs response
// can be changed, and the response can be cut or stalled part way.
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';

export interface Tampering {
  /** Rewrites the pack bytes of a fetch response. */
  pack?(pack: Uint8Array): Uint8Array;
  /** Rewrites the ref lines of an ls-refs response (each without its newline). */
  refs?(lines: string[]): string[];
  /** Sends only this fraction (0..1) of the fetch response, then closes the connection. */
  cutAfter?: number;
  /** Sends this fraction (0..1) of the fetch response, then nothing more, ever. */
  stallAfter?: number;
  /** Called when a stalled or cut response has sent its part. */
  onPartSent?(): void;
}

function pkt(payload: Uint8Array | string): Buffer {
  const b = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
}

/** Splits pkt-lines; a flush/delim packet is returned as a number (0, 1, 2). */
function pktLines(data: Buffer): (Buffer | number)[] {
  const out: (Buffer | number)[] = [];
  let p = 0;
  while (p + 4 <= data.length) {
    const n = parseInt(data.subarray(p, p + 4).toString(), 16);
    if (n < 4) {
      out.push(n);
      p += 4;
      continue;
    }
    out.push(data.subarray(p + 4, p + n));
    p += n;
  }
  return out;
}

function rewrite(body: Buffer, t: Tampering, request: string): Buffer {
  const lines = pktLines(body);
  if (/command=ls-refs/.test(request) && t.refs) {
    const refs = lines.filter((l): l is Buffer => typeof l !== 'number').map((l) => l.toString().replace(/\n$/, ''));
    return Buffer.concat([...t.refs(refs).map((l) => pkt(`${l}\n`)), Buffer.from('0000')]);
  }
  if (!/command=fetch/.test(request) || !t.pack) return body;
  const out: Buffer[] = [];
  const pack: Buffer[] = [];
  let inPack = false;
  for (const l of lines) {
    if (typeof l === 'number') {
      if (!inPack) out.push(Buffer.from(l.toString(16).padStart(4, '0')));
      continue;
    }
    if (!inPack) {
      out.push(pkt(l));
      if (l.toString() === 'packfile\n') inPack = true;
      continue;
    }
    if (l[0] === 1) pack.push(l.subarray(1));
    else out.push(pkt(l)); // progress and errors pass through
  }
  if (!inPack) return body;
  const np = t.pack(Buffer.concat(pack));
  for (let o = 0; o < np.length; o += 65515) out.push(pkt(Buffer.concat([Buffer.from([1]), np.subarray(o, o + 65515)])));
  out.push(Buffer.from('0000'));
  return Buffer.concat(out);
}

export interface TamperingServer {
  url(repo: string): string;
  close(): Promise<void>;
}

export async function startTamperingServer(root: string, t: Tampering): Promise<TamperingServer> {
  const backend: HttpServer = await startHttpServer({ root });
  const sockets = new Set<net.Socket>();
  const front = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const reqBody = Buffer.concat(chunks);
      const up = http.request({ host: '127.0.0.1', port: backend.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        const parts: Buffer[] = [];
        ur.on('data', (c) => parts.push(c));
        ur.on('end', () => {
          let body: Buffer = Buffer.concat(parts);
          const isRpc = req.method === 'POST' && /git-upload-pack$/.test(req.url ?? '');
          if (isRpc) body = rewrite(body, t, reqBody.toString('latin1'));
          const headers = { ...ur.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 500, headers);
          const isFetch = isRpc && /command=fetch/.test(reqBody.toString('latin1'));
          const part = isFetch ? t.cutAfter ?? t.stallAfter : undefined;
          if (part === undefined) return res.end(body);
          const limit = Math.floor(body.length * part);
          res.write(body.subarray(0, limit), () => {
            t.onPartSent?.();
            if (t.cutAfter !== undefined) res.socket?.destroy();
            // stallAfter: the response stays open and silent.
          });
        });
      });
      up.end(reqBody);
    });
  });
  front.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const port = (front.address() as net.AddressInfo).port;
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => front.close(r));
      await backend.close();
    },
  };
}

const cli = fileURLToPath(new URL('../../host/cli/wasmgit.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

export interface CliRun { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs `wasmgit <args>` as users do, in `cwd`. */
export function runWasmgit(args: string[], cwd: string, env: NodeJS.ProcessEnv, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, nodeArgs: string[] = []): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', tsx, cli, ...args], { cwd, env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// git:// (gitprotocol-pack, "Git Transport"): a TCP connection to git daemon,
// default port 9418, opened by one pkt-line naming the service, the path and the
// host: `git-upload-pack /path\0host=<host>\0` (the program as --upload-pack names it), then `\0version=2\0` as an extra
// parameter to ask for protocol v2.

import { builtin } from '../builtins.ts';
import { TransportError } from '../protocol/errors.ts';
import { pkt } from '../protocol/pktline.ts';
import type { OpenOptions, Remote } from '../protocol/types.ts';
import { wantedProtocol } from './config.ts';
import { ChannelRemote } from './remote.ts';
import { StreamChannel, socketConnection, type Connection } from './stream.ts';

const CONNECT_TIMEOUT_MS = 30_000;

export function openGit(url: string, loc: { host: string; port: number; hostHeader: string; path: string }, opts: OpenOptions): Remote {
  const version = wantedProtocol(opts.config);
  const connect = () =>
    new Promise<Connection>((resolve, reject) => {
      // -4/-6 with an address literal of the other family: getaddrinfo's refusal, in git's words.
      const literal = builtin.net().isIP(loc.host);
      if (opts.ipFamily && literal && literal !== opts.ipFamily) {
        return reject(new TransportError('connection', `unable to look up ${loc.host} (port ${loc.port}) (Address family for hostname not supported)`, url));
      }
      // -v: connect.c's git_tcp_connect_sock() says what it looks up and connects to.
      const say = opts.verbose ? (text: string) => opts.onStderr?.(text) : undefined;
      say?.(`Looking up ${loc.host} ... `);
      const connecting = () => say?.(`done.\nConnecting to ${loc.host} (port ${loc.port}) ... `);
      if (literal) connecting();
      const sock = builtin.net().connect({ host: loc.host, port: loc.port, ...(opts.ipFamily ? { family: opts.ipFamily } : {}) });
      if (!literal) sock.once('lookup', (err) => err || connecting());
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new TransportError('timeout', `unable to connect to ${loc.host}:${loc.port}: timed out`, url));
      }, CONNECT_TIMEOUT_MS);
      sock.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // git's connect.c: a name that does not resolve is "unable to look up", the rest "unable to connect".
        if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
          const why = err.code === 'ENOTFOUND' ? 'Name or service not known' : 'Temporary failure in name resolution';
          return reject(new TransportError('connection', `unable to look up ${loc.host} (port ${loc.port}) (${why})`, url));
        }
        // Then the address tried and strerror(), one line each (git lists every address; Node reports the last).
        const why = err.code === 'ECONNREFUSED' ? 'Connection refused' : err.code === 'ETIMEDOUT' ? 'Connection timed out' : err.code === 'ENETUNREACH' ? 'Network is unreachable' : err.code === 'EHOSTUNREACH' ? 'No route to host' : err.message;
        const address = (err as NodeJS.ErrnoException & { address?: string }).address ?? loc.host;
        reject(new TransportError('connection', `unable to connect to ${loc.host}:\n${loc.host}[0: ${address}]: errno=${why}\n`, url));
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        say?.(`${sock.remoteAddress} done.\n`);
        sock.removeAllListeners('error');
        const conn = socketConnection(sock);
        const extra = version > 0 ? `\0version=${version}\0` : '';
        // connect.c names the program to run as given (--upload-pack, remote.<name>.uploadpack): the daemon refuses other names.
        conn.write(pkt(`${opts.uploadPack ?? 'git-upload-pack'} ${loc.path}\0host=${loc.hostHeader}\0${extra}`)).then(() => resolve(conn));
      });
    });
  return new ChannelRemote(url, new StreamChannel(url, connect), opts.signal);
}

// ssh (`ssh://[user@]host[:port]/path` and scp-like `[user@]host:path`): runs
// upload-pack on the remote host through an ssh program, as git's connect.c does.
// Which program: GIT_SSH_COMMAND (a shell command), core.sshCommand, GIT_SSH (an
// executable), else `ssh`. Its arguments depend on its flavour (ssh.variant /
// GIT_SSH_VARIANT, else guessed from its name): OpenSSH gets
// `-o SendEnv=GIT_PROTOCOL` so protocol v2 can be asked for, and `-p <port>`;
// plink gets `-P <port>`; a "simple" ssh gets only the host and the command.

import { basename } from 'node:path';
import { TransportError } from '../protocol/errors.ts';
import type { OpenOptions, Remote } from '../protocol/types.ts';
import { configGet, wantedProtocol } from './config.ts';
import { sqQuote, transportEnv } from './process.ts';
import { ChannelRemote } from './remote.ts';
import { StreamChannel, childConnection, couldNotRead, type Connection } from './stream.ts';
import { builtin } from '../builtins.ts';

type Variant = 'ssh' | 'plink' | 'putty' | 'tortoiseplink' | 'simple';

function guessVariant(program: string, env: NodeJS.ProcessEnv, config?: Map<string, string>): Variant {
  const forced = (env.GIT_SSH_VARIANT || configGet(config, 'ssh.variant') || '').toLowerCase();
  if (forced === 'ssh' || forced === 'plink' || forced === 'putty' || forced === 'tortoiseplink' || forced === 'simple') return forced;
  const name = basename(program).toLowerCase().replace(/\.exe$/, '');
  if (name === 'plink') return 'plink';
  if (name === 'tortoiseplink') return 'tortoiseplink';
  // git probes other programs with `-G`; treating them as OpenSSH-compatible is
  // what that probe concludes for ssh wrappers that ignore unknown options.
  return 'ssh';
}

export function sshArgs(variant: Variant, loc: { user?: string; host: string; port?: string }, command: string, version: number, url: string): string[] {
  const args: string[] = [];
  if (variant === 'ssh' && version > 0) args.push('-o', 'SendEnv=GIT_PROTOCOL');
  if (variant === 'tortoiseplink') args.push('-batch');
  if (loc.port) {
    if (variant === 'ssh') args.push('-p', loc.port);
    else if (variant === 'simple') throw new TransportError('unsupported', "ssh variant 'simple' does not support setting port", url);
    else args.push('-P', loc.port);
  }
  args.push(loc.user ? `${loc.user}@${loc.host}` : loc.host, command);
  return args;
}

export function openSsh(url: string, loc: { user?: string; host: string; port?: string; path: string }, opts: OpenOptions): Remote {
  const env = opts.env ?? process.env;
  const version = wantedProtocol(opts.config);
  if (loc.host.startsWith('-')) throw new TransportError('unsupported', `strange hostname '${loc.host}' blocked`, url);
  if (loc.path.startsWith('-')) throw new TransportError('unsupported', `strange pathname '${loc.path}' blocked`, url);
  const command = `${opts.uploadPack ?? 'git-upload-pack'} ${sqQuote(loc.path)}`;
  const connect = async (): Promise<Connection> => {
    const shellCommand = env.GIT_SSH_COMMAND || configGet(opts.config, 'core.sshCommand');
    const program = shellCommand ? shellCommand.trim().split(/\s+/)[0] : env.GIT_SSH || 'ssh';
    const args = sshArgs(guessVariant(program, env, opts.config), loc, command, version, url);
    const childEnv = transportEnv(env, version);
    // GIT_SSH_COMMAND is shell text, run as git does: sh -c '<cmd> "$@"' <cmd> <args>.
    const child = shellCommand
      ? builtin.childProcess().spawn('/bin/sh', ['-c', `${shellCommand} "$@"`, shellCommand, ...args], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
      : builtin.childProcess().spawn(program, args, { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(couldNotRead(url, `cannot run ${program}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}`)),
      );
    });
    return childConnection(child, opts.onStderr);
  };
  return new ChannelRemote(url, new StreamChannel(url, connect), opts.signal);
}

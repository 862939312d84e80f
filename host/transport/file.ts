// file:// URLs: git runs upload-pack on the path itself (no local shortcut), so
// these need git installed; plain paths go to local.ts instead, which does not.

import { TransportError } from '../protocol/errors.ts';
import type { OpenOptions, Remote } from '../protocol/types.ts';
import { wantedProtocol } from './config.ts';
import { sqQuote, transportEnv, which } from './process.ts';
import { ChannelRemote } from './remote.ts';
import { StreamChannel, childConnection, couldNotRead, type Connection } from './stream.ts';
import { builtin } from '../builtins.ts';

/** Runs `program` with piped stdio; a program that cannot start is git's "Could not read" naming `what`. */
async function spawnConnection(url: string, program: string, args: string[], env: NodeJS.ProcessEnv, what: string, onStderr?: (text: string) => void): Promise<Connection> {
  const child = builtin.childProcess().spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(couldNotRead(url, `cannot run ${what}: ${err.message}`)));
  });
  return childConnection(child, onStderr);
}

export function openFile(url: string, path: string, opts: OpenOptions): Remote {
  const env = opts.env ?? process.env;
  const version = wantedProtocol(opts.config);
  const connect = async (): Promise<Connection> => {
    const childEnv = transportEnv(env, version);
    if (opts.uploadPack !== undefined) {
      // --upload-pack is shell text, run as git's run-command runs it (the text is also $0).
      const command = `${opts.uploadPack} ${sqQuote(path)}`;
      return spawnConnection(url, '/bin/sh', ['-c', command, command], childEnv, '/bin/sh', opts.onStderr);
    }
    const uploadPack = which('git-upload-pack', env);
    const git = uploadPack ? null : which('git', env);
    if (!uploadPack && !git) {
      throw new TransportError('unsupported', `file:// URLs need git installed (git-upload-pack was not found on PATH); give the plain path '${path}' instead`, url);
    }
    return uploadPack
      ? spawnConnection(url, uploadPack, [path], childEnv, 'git-upload-pack', opts.onStderr)
      : spawnConnection(url, git!, ['upload-pack', path], childEnv, 'git-upload-pack', opts.onStderr);
  };
  return new ChannelRemote(url, new StreamChannel(url, connect), opts.signal);
}

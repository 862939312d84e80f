// file:// URLs: git runs upload-pack on the path itself (no local shortcut), so
// these need git installed; plain paths go to local.ts instead, which does not.

import { TransportError } from '../protocol/errors.ts';
import type { OpenOptions, Remote } from '../protocol/types.ts';
import { wantedProtocol } from './config.ts';
import { sqQuote, transportEnv, which } from './process.ts';
import { ChannelRemote } from './remote.ts';
import { StreamChannel, childConnection, couldNotRead, type Connection } from './stream.ts';
import { builtin } from '../builtins.ts';

/** `--upload-pack` for a local repository: shell text, run as git runs it (sh -c '<cmd> <path>'). */
async function spawnUploadPack(url: string, command: string, env: NodeJS.ProcessEnv, onStderr?: (text: string) => void): Promise<Connection> {
  // As git's run-command does it: the text is also $0.
  const child = builtin.childProcess().spawn('/bin/sh', ['-c', command, command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(couldNotRead(url, `cannot run /bin/sh: ${err.message}`)));
  });
  return childConnection(child, onStderr);
}

export function openFile(url: string, path: string, opts: OpenOptions): Remote {
  const env = opts.env ?? process.env;
  const version = wantedProtocol(opts.config);
  const connect = async (): Promise<Connection> => {
    if (opts.uploadPack !== undefined) return spawnUploadPack(url, `${opts.uploadPack} ${sqQuote(path)}`, transportEnv(env, version), opts.onStderr);
    const uploadPack = which('git-upload-pack', env);
    const git = uploadPack ? null : which('git', env);
    if (!uploadPack && !git) {
      throw new TransportError('unsupported', `file:// URLs need git installed (git-upload-pack was not found on PATH); give the plain path '${path}' instead`, url);
    }
    const childEnv = transportEnv(env, version);
    const child = uploadPack
      ? builtin.childProcess().spawn(uploadPack, [path], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
      : builtin.childProcess().spawn(git!, ['upload-pack', path], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(couldNotRead(url, `cannot run git-upload-pack: ${err.message}`)));
    });
    return childConnection(child, opts.onStderr);
  };
  return new ChannelRemote(url, new StreamChannel(url, connect), opts.signal);
}

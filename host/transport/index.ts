// openRemote(url): the Remote for a repository location, chosen by its form as
// git chooses (see url.ts): http(s)://, git://, ssh:// or scp-like [user@]host:path,
// file://, a plain local path (read directly, without git), or a local path
// naming a bundle file.

import { TransportError } from '../protocol/errors.ts';
import type { OpenOptions, Remote } from '../protocol/types.ts';
import { isBundleFile, openBundle } from './bundle.ts';
import { openFile } from './file.ts';
import { openGit } from './git.ts';
import { openHttp } from './http.ts';
import { openLocal } from './local.ts';
import { openSsh } from './ssh.ts';
import { classify } from './url.ts';
import { wantedProtocol } from './config.ts';
import { findGitDir } from '../repo/git-dir.ts';
import { resolve } from 'node:path';

export type { Advertisement, FetchRequest, FetchResult, FetchSink, OpenOptions, Remote, RemoteRef } from '../protocol/types.ts';
export { TransportError, type TransportErrorKind } from '../protocol/errors.ts';
export { classify, type Location } from './url.ts';
export { isBundleFile, readBundleHeader, BundleFormatError, type BundleHeader } from './bundle.ts';

export async function openRemote(url: string, opts: OpenOptions = {}): Promise<Remote> {
  wantedProtocol(opts.config, url); // refuses a protocol.version git does not know, before connecting
  // connect.c git_connect(): no path (an empty location, `ssh://host`, `git://host`, `file://`) is refused before connecting.
  if (url === '' || /^(ssh|git\+ssh|ssh\+git|git|file):\/\/[^/]*$/i.test(url)) throw new TransportError('unsupported', "no path specified; see 'git help pull' for valid url syntax", url);
  const loc = classify(url);
  switch (loc.kind) {
    case 'http':
      return openHttp(loc.url, opts);
    case 'git':
      return openGit(url, loc, opts);
    case 'ssh':
      return openSsh(url, loc, opts);
    case 'file':
      return openFile(url, loc.path, opts);
    case 'local':
      // A file that starts with a bundle signature is a bundle, whatever the
      // options (transport.c checks it before anything else).
      if (isBundleFile(loc.path)) return openBundle(url, loc.path, opts);
      // A chosen upload-pack is run as git runs it for a local clone's refs: on
      // the git directory the path leads to (absolute), or on the path itself.
      if (opts.uploadPack !== undefined) return openFile(url, findGitDir(resolve(loc.path))?.gitDir ?? resolve(loc.path), opts);
      return openLocal(url, loc.path, opts);
    case 'unsupported':
      throw new TransportError('unsupported', `Unable to find remote helper for '${loc.scheme}'`, url);
  }
}

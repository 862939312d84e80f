// Side-band demultiplexing (gitprotocol-pack, "Packfile Data"; v2 "packfile" section):
// each packet's first byte names a band. 1 = pack data, 2 = progress text for the
// user's terminal, 3 = a fatal error message, after which the server stops.

import { TransportError, hungUp } from './errors.ts';
import { PktReader, text, throwIfErr } from './pktline.ts';
import type { FetchSink } from './types.ts';

/**
 * Passes band 1 to `sink.pack` (awaiting it, so memory stays bounded by one
 * packet) and band 2 to `sink.remoteMessage`, until the flush that ends the pack.
 * Returns the number of pack bytes delivered.
 */
export async function demuxSideband(r: PktReader, sink: FetchSink): Promise<number> {
  let packBytes = 0;
  // Band 2 text is decoded as a stream: a UTF-8 character may straddle packets.
  const progress = new TextDecoder();
  for (;;) {
    const p = await r.read();
    if (!p) throw hungUp(r.url, `after ${packBytes} bytes of pack data`);
    if (p.kind === 'flush') break;
    if (p.kind !== 'data') continue; // a response-end may follow on stateless transports
    const d = p.data;
    if (d.length === 0) continue;
    throwIfErr(d, r.url);
    const band = d[0];
    if (band === 1) {
      if (d.length > 1) {
        packBytes += d.length - 1;
        await sink.pack(d.subarray(1));
      }
    } else if (band === 2) {
      sink.remoteMessage(progress.decode(d.subarray(1), { stream: true }));
    } else if (band === 3) {
      // upload-pack ends this message with a NUL; what matters is the text.
      throw new TransportError('remote-error', `remote error: ${text(d.subarray(1)).replace(/[\0\n]+$/, '')}`, r.url);
    } else {
      throw new TransportError('protocol', `protocol error: bad band #${band} after ${packBytes} bytes of pack data`, r.url);
    }
  }
  return packBytes;
}

/** Without side-band the pack is simply the rest of the stream (only servers from before 2006 do this). */
export async function rawPack(r: PktReader, sink: FetchSink): Promise<number> {
  let n = 0;
  for (;;) {
    const c = await r.rawChunk();
    if (!c) return n;
    n += c.length;
    await sink.pack(c);
  }
}

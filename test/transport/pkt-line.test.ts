// pkt-line framing and side-band demultiplexing on hand-made byte streams,
// delivered in awkward chunks: specials, bad lengths, streams that end early,
// ERR packets and band 3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PktReader, pkt, FLUSH, DELIM, RESPONSE_END, text, concat } from '../../host/protocol/pktline.ts';
import { demuxSideband } from '../../host/protocol/sideband.ts';
import { transportFailure } from '../helpers/remote-repos.ts';

const enc = new TextEncoder();

/** A reader over `bytes`, delivered `step` bytes at a time. */
function readerOf(bytes: Uint8Array, step = 1): PktReader {
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += step) yield bytes.slice(i, i + step);
  }
  return new PktReader(chunks(), 'test://stream');
}

const rejection = (p: Promise<unknown>) => transportFailure(() => p);

test('pkt() frames with four hex digits that count themselves', () => {
  assert.is(new TextDecoder().decode(pkt('a\n')), '0006a\n');
  assert.is(new TextDecoder().decode(pkt('')), '0004');
  assert.is(pkt(new Uint8Array(65516)).length, 65520);
  assert.throws(() => pkt(new Uint8Array(65517)), /exceeds 65516/);
});

test('reads data, flush, delim and response-end, across any chunking', async () => {
  const stream = concat([pkt('version 2\n'), pkt('agent=x'), DELIM, pkt(new Uint8Array(70).fill(7)), FLUSH, RESPONSE_END]);
  for (const step of [1, 3, 7, stream.length]) {
    const r = readerOf(stream, step);
    const got: string[] = [];
    for (let p = await r.read(); p; p = await r.read()) got.push(p.kind === 'data' ? `${p.data.length}:${text(p.data).slice(0, 9)}` : p.kind);
    assert.equal(got, ['10:version 2', '7:agent=x', 'delim', `70:${'\x07'.repeat(9)}`, 'flush', 'end'], `step ${step}`);
    assert.is(r.bytesRead, stream.length);
  }
});

test('a bad length is a protocol error naming it; length 3 too', async () => {
  let err = await rejection(readerOf(enc.encode('<htm')).read());
  assert.is(err.kind, 'protocol');
  assert.is(err.message, 'protocol error: bad line length character: <htm');
  err = await rejection(readerOf(enc.encode('0003')).read());
  assert.is(err.message, 'protocol error: bad line length 3');
});

test('a stream ending inside a packet: connection error "hung up", with the byte count', async () => {
  const err = await rejection(readerOf(enc.encode('000ahel')).read());
  assert.is(err.kind, 'connection');
  assert.is(err.message, 'the remote end hung up unexpectedly (stream ended inside a 10-byte pkt-line after 7 bytes)');
  const clean = readerOf(new Uint8Array(0));
  assert.is(await clean.read(), null);
  assert.is((await rejection(clean.expect())).message, 'the remote end hung up unexpectedly');
});

test('ERR packets become remote-error with the server\'s text', async () => {
  const err = await rejection(readerOf(pkt('ERR access denied\n')).expect());
  assert.is(err.kind, 'remote-error');
  assert.is(err.message, 'remote error: access denied');
});

test('side-band: band 1 to the pack in order, band 2 as text with \\r kept (UTF-8 split across packets), flush ends', async () => {
  const euro = enc.encode('€'); // three bytes, split over two band-2 packets
  const stream = concat([
    pkt(Uint8Array.of(2, ...enc.encode('Counting: 50%\r'))),
    pkt(Uint8Array.of(1, 1, 2, 3)),
    pkt(Uint8Array.of(2, euro[0])),
    pkt(Uint8Array.of(2, euro[1], euro[2], 10)),
    pkt(Uint8Array.of(1, 4, 5)),
    FLUSH,
    pkt('after'),
  ]);
  const pack: number[] = [];
  const messages: string[] = [];
  const n = await demuxSideband(readerOf(stream, 5), { pack: async (c) => void pack.push(...c), remoteMessage: (t) => void messages.push(t) });
  assert.is(n, 5);
  assert.equal(pack, [1, 2, 3, 4, 5]);
  assert.is(messages.join(''), 'Counting: 50%\r€\n');
});

test('side-band: band 3 is a remote-error; a cut before the flush says how much pack arrived; bad bands are protocol errors', async () => {
  const sink = { pack() {}, remoteMessage() {} };
  let err = await rejection(demuxSideband(readerOf(concat([pkt(Uint8Array.of(1, 9, 9)), pkt(Uint8Array.of(3, ...enc.encode('fatal: out of disk\n')))])), sink));
  assert.is(err.kind, 'remote-error');
  assert.is(err.message, 'remote error: fatal: out of disk');
  err = await rejection(demuxSideband(readerOf(pkt(Uint8Array.of(1, 1, 2, 3, 4))), sink));
  assert.is(err.kind, 'connection');
  assert.is(err.message, 'the remote end hung up unexpectedly (after 4 bytes of pack data)');
  err = await rejection(demuxSideband(readerOf(pkt(Uint8Array.of(7, 1))), sink));
  assert.is(err.kind, 'protocol');
  assert.match(err.message, /bad band #7/);
});

test('the sink is awaited: no packet is read while it is busy (backpressure)', async () => {
  let pulled = 0;
  async function* chunks() {
    for (let i = 0; i < 5; i++) {
      pulled++;
      yield pkt(Uint8Array.of(1, i));
    }
    yield FLUSH;
  }
  const r = new PktReader(chunks(), 'test://stream');
  const seen: number[] = [];
  await demuxSideband(r, {
    pack: async (c) => {
      seen.push(pulled);
      await new Promise((res) => setTimeout(res, 5));
      assert.is(pulled, seen.length, 'nothing more was pulled while the sink worked');
      void c;
    },
    remoteMessage() {},
  });
  assert.equal(seen, [1, 2, 3, 4, 5]);
});

test.run();

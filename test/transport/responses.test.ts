// Parsing what servers send, on hand-made streams for the cases real servers
// rarely produce: every v2 fetch section, packfile URIs, v0 advertisements of an
// empty repository and in protocol v1, and v0 ACK sequences.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DELIM, FLUSH, PktReader, concat, pkt } from '../../host/protocol/pktline.ts';
import { readFetchResponse, readLsRefs } from '../../host/protocol/v2.ts';
import { readV0Advertisement, readV0Response } from '../../host/protocol/v0.ts';
import { ProtocolClient, type Channel } from '../../host/protocol/client.ts';
import { TransportError } from '../../host/protocol/errors.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

function readerOf(bytes: Uint8Array): PktReader {
  async function* one() {
    yield bytes;
  }
  return new PktReader(one(), 'test://server');
}

const sink = () => {
  const pack: number[] = [];
  return { pack: (c: Uint8Array) => void pack.push(...c), remoteMessage() {}, bytes: pack };
};

test('v2 fetch: acknowledgments, shallow-info, wanted-refs, then the packfile', async () => {
  const s = sink();
  const res = await readFetchResponse(
    readerOf(
      concat([
        pkt('acknowledgments\n'), pkt(`ACK ${A}\n`), pkt('ready\n'), DELIM,
        pkt('shallow-info\n'), pkt(`shallow ${B}\n`), pkt(`unshallow ${C}\n`), pkt(`shallow ${B}\n`), DELIM,
        pkt(`wanted-refs\n`), pkt(`${A} refs/heads/main\n`), DELIM,
        pkt('packfile\n'), pkt(Uint8Array.of(2, 0x68, 0x69)), pkt(Uint8Array.of(1, 9, 8, 7)), FLUSH,
      ]),
    ),
    s,
    [],
  );
  assert.equal(res, { shallow: [B], unshallow: [C] });
  assert.equal(s.bytes, [9, 8, 7]);
});

test('v2 fetch: packfile-uris are refused as unsupported; a response without a packfile is a protocol error', async () => {
  let err = await readFetchResponse(readerOf(concat([pkt('packfile-uris\n'), pkt(`${A} https://cdn/x.pack\n`), DELIM])), sink(), []).catch((e) => e);
  assert.instance(err, TransportError);
  assert.is(err.kind, 'unsupported');
  err = await readFetchResponse(readerOf(concat([pkt('acknowledgments\n'), pkt('NAK\n'), FLUSH])), sink(), []).catch((e) => e);
  assert.is(err.kind, 'protocol');
  err = await readFetchResponse(readerOf(concat([pkt('bogus\n')])), sink(), []).catch((e) => e);
  assert.match(err.message, /unknown fetch response section 'bogus'/);
});

test('v2 ls-refs: symref targets, peeled tags, an unborn HEAD', async () => {
  const out = await readLsRefs(
    readerOf(concat([pkt('unborn HEAD symref-target:refs/heads/trunk\n'), pkt(`${A} refs/tags/v1 peeled:${B}\n`), FLUSH])),
  );
  assert.equal(out, { refs: [{ name: 'refs/tags/v1', oid: A, peeled: B }], headTarget: 'refs/heads/trunk' });
});

test('v0 advertisement: an empty repository\'s capabilities^{} line; peeled lines attach to their tag', async () => {
  const empty = await readV0Advertisement(readerOf(concat([pkt(`${'0'.repeat(40)} capabilities^{}\0side-band-64k symref=HEAD:refs/heads/trunk agent=x\n`), FLUSH])), 0);
  assert.equal(empty.refs, []);
  assert.is(empty.headTarget, 'refs/heads/trunk');
  assert.ok(empty.capabilities.has('side-band-64k'));
  const tags = await readV0Advertisement(readerOf(concat([pkt(`${A} HEAD\0symref=HEAD:refs/heads/main\n`), pkt(`${A} refs/heads/main\n`), pkt(`${B} refs/tags/t\n`), pkt(`${C} refs/tags/t^{}\n`), FLUSH])), 0);
  assert.equal(tags.refs, [
    { name: 'HEAD', oid: A, symrefTarget: 'refs/heads/main' },
    { name: 'refs/heads/main', oid: A },
    { name: 'refs/tags/t', oid: B, peeled: C },
  ]);
});

test('v0 response: ACK common/ready lines then the final ACK, then the pack', async () => {
  const s = sink();
  const plan = { body: new Uint8Array(0), sideband: true, deepen: false, warnings: [] };
  const res = await readV0Response(readerOf(concat([pkt(`ACK ${A} common\n`), pkt(`ACK ${A} ready\n`), pkt(`ACK ${A}\n`), pkt(Uint8Array.of(1, 5)), FLUSH])), plan, s);
  assert.equal(res, { shallow: [], unshallow: [] });
  assert.equal(s.bytes, [5]);
});

test('a `version 1` greeting is followed by a v0 advertisement', async () => {
  const greeting = concat([pkt('version 1\n'), pkt(`${A} HEAD\0side-band-64k\n`), FLUSH]);
  const channel: Channel = {
    url: 'test://server',
    stateless: true,
    open: async () => readerOf(greeting),
    send: async () => {
      throw new Error('not used');
    },
    end: async () => {},
    destroy() {},
  };
  const adv = await new ProtocolClient(channel).advertise();
  assert.is(adv.protocol, 1);
  assert.equal(adv.refs, [{ name: 'HEAD', oid: A }]);
});

test.run();

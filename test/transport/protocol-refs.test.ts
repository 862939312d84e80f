// Ref advertisements of thousands of lines, as v2 ls-refs answers and v0
// advertisements, cut into chunks of every size (packets split across chunks,
// many packets per chunk), as Node Buffers and as plain Uint8Arrays: the refs
// read must be those a line-by-line reading of gitprotocol-v2/-pack gives, and
// bad lines, ERR packets and delimiters among them are reported as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DELIM, FLUSH, PktReader, concat, pkt } from '../../host/protocol/pktline.ts';
import { readLsRefs } from '../../host/protocol/v2.ts';
import { readV0Advertisement } from '../../host/protocol/v0.ts';
import { TransportError } from '../../host/protocol/errors.ts';
import type { RemoteRef } from '../../host/protocol/types.ts';

const hex = (i: number) => (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(5);

/** v2 lines: a symref HEAD, plain and peeled tags, non-ASCII names (one with a byte that is not UTF-8), extra spaces. */
function v2Lines(n: number): Uint8Array[] {
  const lines: Uint8Array[] = [new TextEncoder().encode(`${hex(0)} HEAD symref-target:refs/heads/main\n`)];
  for (let i = 1; i < n; i++) {
    let line = `${hex(i)} refs/tags/t${i}`;
    if (i % 7 === 0) line += ` peeled:${hex(i + 1)}`;
    if (i % 11 === 0) line = `${hex(i)} refs/tags/ünï${i}`;
    if (i % 13 === 0) line += ' unknown-attribute';
    lines.push(new TextEncoder().encode(i % 17 === 0 ? line : `${line}\n`));
  }
  lines.push(Uint8Array.of(...new TextEncoder().encode(`${hex(n)} refs/tags/bad`), 0xff, 0x41, 10));
  return lines;
}

/** What gitprotocol-v2 says each line means, read the plain way: decode, drop the LF, split at spaces. */
function expectedV2(lines: Uint8Array[]): { refs: RemoteRef[]; headTarget?: string } {
  const refs: RemoteRef[] = [];
  let headTarget: string | undefined;
  for (const l of lines) {
    const [oid, name, ...attrs] = new TextDecoder().decode(l).replace(/\n$/, '').split(' ');
    const ref: RemoteRef = { name, oid };
    for (const a of attrs) {
      if (a.startsWith('symref-target:')) ref.symrefTarget = a.slice(14);
      if (a.startsWith('peeled:')) ref.peeled = a.slice(7);
    }
    if (name === 'HEAD') headTarget = ref.symrefTarget;
    refs.push(ref);
  }
  return { refs, headTarget };
}

function chunked(bytes: Uint8Array, size: (i: number) => number, asBuffer: boolean): PktReader {
  const chunks: Uint8Array[] = [];
  for (let o = 0, i = 0; o < bytes.length; i++) {
    const n = Math.max(1, size(i));
    chunks.push(asBuffer ? Buffer.from(bytes.subarray(o, o + n)) : bytes.slice(o, o + n));
    o += n;
  }
  async function* gen() {
    for (const c of chunks) yield c;
  }
  return new PktReader(gen(), 'test://server');
}

const SIZES: [string, (i: number) => number][] = [
  ['1 byte', () => 1],
  ['7 bytes', () => 7],
  ['16 KiB', () => 16384],
  ['all at once', () => 1 << 30],
  ['uneven', (i) => [3, 500, 61, 2, 4096, 45][i % 6]],
];

test('v2 ls-refs of 3000 refs: the same refs at every chunking, Buffer or Uint8Array', async () => {
  const lines = v2Lines(3000);
  const bytes = concat([...lines.map((l) => pkt(l)), FLUSH]);
  const want = expectedV2(lines);
  assert.is(want.refs.length, 3001);
  for (const [label, size] of SIZES) {
    for (const asBuffer of [true, false]) {
      const got = await readLsRefs(chunked(bytes, size, asBuffer));
      assert.equal(got, want, `${label}, ${asBuffer ? 'Buffer' : 'Uint8Array'}`);
    }
  }
});

test('v2 ls-refs: a bad line, an ERR packet or a delimiter deep in a long answer is reported', async () => {
  const lines = v2Lines(2000).map((l) => pkt(l));
  const at = (p: Uint8Array) => concat([...lines.slice(0, 1500), p, ...lines.slice(1500), FLUSH]);
  for (const [label, size] of SIZES) {
    let err = await readLsRefs(chunked(at(pkt(`${hex(1)}ünï-no-name\n`)), size, true)).catch((e) => e);
    assert.instance(err, TransportError, label);
    assert.is(err.message, `protocol error: bad ls-refs line '${hex(1)}ünï-no-name'`, label);
    err = await readLsRefs(chunked(at(pkt(`${hex(1)}  refs/tags/double-space\n`)), size, false)).catch((e) => e);
    assert.match(err.message, /bad ls-refs line '[0-9a-f]{40}  refs\/tags\/double-space'/, label);
    err = await readLsRefs(chunked(at(pkt('ERR access denied\n')), size, true)).catch((e) => e);
    assert.is(err.kind, 'remote-error', label);
    assert.is(err.message, 'remote error: access denied', label);
    err = await readLsRefs(chunked(at(DELIM), size, true)).catch((e) => e);
    assert.is(err.message, 'protocol error: unexpected delimiter in ls-refs output', label);
  }
});

test('v0 advertisement of 3000 refs: capabilities, peeled lines, at every chunking', async () => {
  const lines = [pkt(`${hex(0)} HEAD\0multi_ack symref=HEAD:refs/heads/main agent=git/2.39\n`), pkt(`${hex(1)} refs/heads/main\n`)];
  const want: RemoteRef[] = [{ name: 'HEAD', oid: hex(0), symrefTarget: 'refs/heads/main' }, { name: 'refs/heads/main', oid: hex(1) }];
  for (let i = 2; i < 3000; i++) {
    lines.push(pkt(`${hex(i)} refs/tags/v${i}\n`));
    const ref: RemoteRef = { name: `refs/tags/v${i}`, oid: hex(i) };
    if (i % 5 === 0) {
      lines.push(pkt(`${hex(i + 1)} refs/tags/v${i}^{}\n`));
      ref.peeled = hex(i + 1);
    }
    want.push(ref);
  }
  const bytes = concat([...lines, FLUSH]);
  for (const [label, size] of SIZES) {
    const adv = await readV0Advertisement(chunked(bytes, size, label.length % 2 === 0), 0);
    assert.equal(adv.refs, want, label);
    assert.is(adv.headTarget, 'refs/heads/main', label);
  }
});

test.run();

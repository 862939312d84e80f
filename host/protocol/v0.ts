// Protocol v0/v1 (gitprotocol-pack): the server speaks first with its refs and
// capabilities; the client answers with wants (capabilities on the first), the
// shallow requests, a flush, its haves and `done`; the server answers with the
// shallow list (when deepening), a final ACK/NAK, then the pack, side-band framed.
// Stateless HTTP carries the same request in one POST (gitprotocol-http).

import { AGENT, parseV0Capabilities } from './capabilities.ts';
import { TransportError } from './errors.ts';
import { FLUSH, PktReader, concat, pkt, text } from './pktline.ts';
import { uniqueShallow } from './shallow.ts';
import { demuxSideband, rawPack } from './sideband.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, RemoteRef } from './types.ts';

/**
 * Reads a ref advertisement up to its flush (a `version 1` line, if any, was
 * already consumed by the caller).
 */
export async function readV0Advertisement(r: PktReader, protocol: 0 | 1): Promise<Advertisement> {
  const refs: RemoteRef[] = [];
  let capsText = '';
  let sawCaps = false;
  const shallow: string[] = [];
  const onLine = (buf: Uint8Array, start: number, end: number) => {
    let line = text(buf.subarray(start, end));
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (!sawCaps) {
        capsText = line.slice(nul + 1);
        sawCaps = true;
      }
      line = line.slice(0, nul);
    }
    if (line.startsWith('shallow ')) {
      // The server's own shallow boundary: what it sends stops there (get_remote_heads' shallow_points).
      const oid = line.slice(8);
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) throw new TransportError('protocol', `protocol error: bad shallow line '${line}'`, r.url);
      shallow.push(oid);
      return;
    }
    const sp = line.indexOf(' ');
    if (sp < 0) throw new TransportError('protocol', `protocol error: bad ref advertisement line '${line}'`, r.url);
    const oid = line.slice(0, sp);
    const name = line.slice(sp + 1);
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) {
      throw new TransportError('protocol', `protocol error: bad object id in ref advertisement line '${line}'`, r.url);
    }
    // An empty repository advertises its capabilities on a placeholder ref.
    if (name === 'capabilities^{}') return;
    if (name.endsWith('^{}')) {
      const base = name.slice(0, -3);
      const prev = refs[refs.length - 1];
      if (prev && prev.name === base) prev.peeled = oid;
      return;
    }
    refs.push({ name, oid });
  };
  await r.eachUntilFlush(onLine, 'ref advertisement');
  const { caps, symrefs } = parseV0Capabilities(capsText);
  for (const ref of refs) {
    const target = symrefs.get(ref.name);
    if (target) ref.symrefTarget = target;
  }
  return {
    refs,
    headTarget: symrefs.get('HEAD'),
    protocol,
    capabilities: caps,
    objectFormat: caps.get('object-format') === 'sha256' ? 'sha256' : 'sha1',
    ...(shallow.length ? { shallow } : {}),
  };
}

export interface V0Plan {
  body: Uint8Array;
  sideband: boolean;
  deepen: boolean;
  warnings: string[];
  /** The server's own shallow boundary, from its advertisement. */
  advertisedShallow?: string[];
}

/** Builds the whole upload-request, wants through `done`; the same bytes serve stateful and stateless transports. */
export function buildV0Request(adv: Advertisement, req: FetchRequest, url: string): V0Plan {
  const caps = adv.capabilities;
  const ask: string[] = [];
  const warnings: string[] = [];
  const offer = (name: string) => {
    if (caps.has(name)) {
      ask.push(name);
      return true;
    }
    return false;
  };
  if (!offer('multi_ack_detailed')) offer('multi_ack');
  const sideband = offer('side-band-64k') || offer('side-band');
  if (req.thinPack) offer('thin-pack');
  offer('ofs-delta');
  if (req.noProgress) offer('no-progress');
  if (req.includeTag) offer('include-tag');
  const deepen = req.depth !== undefined || req.shallowSince !== undefined || (req.shallowExclude?.length ?? 0) > 0;
  if (deepen && !offer('shallow')) throw new TransportError('unsupported', 'Server does not support shallow clients', url);
  if (req.shallowSince && !offer('deepen-since')) throw new TransportError('unsupported', 'Server does not support --shallow-since', url);
  if (req.shallowExclude?.length && !offer('deepen-not')) throw new TransportError('unsupported', 'Server does not support --shallow-exclude', url);
  let filter = req.filter;
  if (filter && !offer('filter')) {
    warnings.push('filtering not recognized by server, ignoring');
    filter = undefined;
  }
  if (adv.objectFormat !== 'sha1') ask.push(`object-format=${adv.objectFormat}`);
  ask.push(`agent=${AGENT}`);

  const parts: Uint8Array[] = [];
  const wants = [...new Set(req.wants)];
  wants.forEach((oid, i) => parts.push(pkt(i === 0 ? `want ${oid} ${ask.join(' ')}\n` : `want ${oid}\n`)));
  if (req.depth !== undefined) parts.push(pkt(`deepen ${req.depth}\n`));
  if (req.shallowSince) parts.push(pkt(`deepen-since ${Math.floor(req.shallowSince.getTime() / 1000)}\n`));
  for (const ref of req.shallowExclude ?? []) parts.push(pkt(`deepen-not ${ref}\n`));
  if (filter) parts.push(pkt(`filter ${filter}\n`));
  parts.push(FLUSH);
  for (const oid of req.haves ?? []) parts.push(pkt(`have ${oid}\n`));
  parts.push(pkt('done\n'));
  return { body: concat(parts), sideband, deepen, warnings, advertisedShallow: adv.shallow };
}

/** Reads the answer to buildV0Request's bytes, streaming the pack into `sink`. */
export async function readV0Response(r: PktReader, plan: V0Plan, sink: FetchSink): Promise<FetchResult> {
  const result: FetchResult = { shallow: [], unshallow: [] };
  if (plan.warnings.length) result.warnings = plan.warnings;
  // A shallow server that is not asked to deepen answers no shallow list: its
  // advertised boundary is the one the pack stops at (fetch-pack's
  // prepare_shallow_info(), as v2's shallow-info carries it).
  if (!plan.deepen && plan.advertisedShallow?.length) result.shallow = [...plan.advertisedShallow];
  if (plan.deepen) {
    for (;;) {
      const p = await r.expect();
      if (p.kind === 'flush') break;
      if (p.kind !== 'data') continue;
      const line = text(p.data);
      if (line.startsWith('shallow ')) result.shallow.push(line.slice(8));
      else if (line.startsWith('unshallow ')) result.unshallow.push(line.slice(10));
      else throw new TransportError('protocol', `protocol error: expected shallow/unshallow, got '${line}'`, r.url);
    }
  }
  // ACKs: with multi_ack(_detailed) any number of `ACK <oid> common|ready|continue`,
  // then the final answer to `done`: a bare `ACK <oid>` or `NAK`.
  for (;;) {
    const p = await r.expect();
    if (p.kind !== 'data') throw new TransportError('protocol', 'protocol error: expected ACK/NAK, got a flush', r.url);
    const line = text(p.data);
    if (line === 'NAK') break;
    const m = /^ACK [0-9a-f]+( (common|ready|continue))?$/.exec(line);
    if (!m) throw new TransportError('protocol', `protocol error: expected ACK/NAK, got '${line}'`, r.url);
    if (!m[1]) break;
  }
  if (plan.sideband) await demuxSideband(r, sink);
  else await rawPack(r, sink);
  return uniqueShallow(result);
}

// Protocol v2 (gitprotocol-v2): the server advertises capabilities only; the
// client then sends commands, each `command=<name>`, capability lines, a delimiter,
// arguments and a flush. wasmgit uses two: `ls-refs` and `fetch`.

import { AGENT, Capabilities, addV2Capability, hasFeature, objectFormat } from './capabilities.ts';
import { TransportError } from './errors.ts';
import { DELIM, FLUSH, PktReader, asciiText, concat, pkt, text } from './pktline.ts';
import { uniqueShallow } from './shallow.ts';
import { demuxSideband } from './sideband.ts';
import type { FetchRequest, FetchResult, FetchSink, RemoteRef } from './types.ts';

/** Reads the capability advertisement that follows `version 2`, up to its flush. */
export async function readV2Capabilities(r: PktReader): Promise<Capabilities> {
  const caps: Capabilities = new Map();
  for (;;) {
    const p = await r.expect();
    if (p.kind === 'flush') return caps;
    if (p.kind !== 'data') throw new TransportError('protocol', 'protocol error: unexpected delimiter in v2 capability advertisement', r.url);
    addV2Capability(caps, text(p.data));
  }
}

function commandHead(caps: Capabilities, command: 'ls-refs' | 'fetch', url: string, serverOptions: string[] = []): Uint8Array[] {
  const parts = [pkt(`command=${command}\n`)];
  if (caps.has('agent')) parts.push(pkt(`agent=${AGENT}\n`));
  if (serverOptions.length && !caps.has('server-option')) throw new TransportError('protocol', "server doesn't support 'server-option'", url);
  const options = serverOptions.map((o) => pkt(`server-option=${o}\n`));
  // git sends them before object-format in fetch and after it in ls-refs.
  if (command === 'fetch') parts.push(...options);
  // A server that names its object format expects the client to confirm it (gitprotocol-v2, "object-format").
  if (caps.has('object-format')) parts.push(pkt(`object-format=${objectFormat(caps)}\n`));
  if (command === 'ls-refs') parts.push(...options);
  parts.push(DELIM);
  return parts;
}

/** `ls-refs` with symref targets and peeled tags; `prefixes` narrows the answer server-side. */
export function lsRefsRequest(caps: Capabilities, url: string, prefixes?: string[], serverOptions?: string[]): Uint8Array {
  if (!caps.has('ls-refs')) throw new TransportError('protocol', 'protocol error: server does not offer ls-refs', url);
  const parts = commandHead(caps, 'ls-refs', url, serverOptions);
  parts.push(pkt('symrefs\n'), pkt('peel\n'));
  if (hasFeature(caps, 'ls-refs', 'unborn')) parts.push(pkt('unborn\n'));
  for (const p of new Set(prefixes ?? [])) parts.push(pkt(`ref-prefix ${p}\n`));
  parts.push(FLUSH);
  return concat(parts);
}

/** Reads an ls-refs answer: `<oid> <name>[ symref-target:<ref>][ peeled:<oid>]`, `unborn` for an unborn HEAD. */
export async function readLsRefs(r: PktReader): Promise<{ refs: RemoteRef[]; headTarget?: string }> {
  const refs: RemoteRef[] = [];
  let headTarget: string | undefined;
  // A line is split at its first two spaces. An all-ASCII line (nearly every
  // one) is cut up as bytes; any other is decoded whole first, as UTF-8.
  const onLine = (buf: Uint8Array, start: number, payloadEnd: number) => {
    const end = payloadEnd > start && buf[payloadEnd - 1] === 10 ? payloadEnd - 1 : payloadEnd;
    let sp1 = -1;
    let sp2 = -1;
    let high = 0;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      high |= c;
      if (c === 32) {
        if (sp1 < 0) sp1 = i;
        else if (sp2 < 0) sp2 = i;
      }
    }
    let oid: string;
    let name: string | undefined;
    let attrs: string | undefined;
    if (high < 0x80) {
      oid = asciiText(buf, start, sp1 < 0 ? end : sp1);
      if (sp1 >= 0) name = asciiText(buf, sp1 + 1, sp2 < 0 ? end : sp2);
      if (sp2 >= 0) attrs = asciiText(buf, sp2 + 1, end);
    } else {
      const line = text(buf.subarray(start, payloadEnd));
      const a = line.indexOf(' ');
      const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
      oid = a < 0 ? line : line.slice(0, a);
      if (a >= 0) name = b < 0 ? line.slice(a + 1) : line.slice(a + 1, b);
      if (b >= 0) attrs = line.slice(b + 1);
    }
    if (!oid || !name) throw new TransportError('protocol', `protocol error: bad ls-refs line '${text(buf.subarray(start, payloadEnd))}'`, r.url);
    let symrefTarget: string | undefined;
    let peeled: string | undefined;
    if (attrs !== undefined) {
      for (const a of attrs.split(' ')) {
        if (a.startsWith('symref-target:')) symrefTarget = a.slice(14);
        else if (a.startsWith('peeled:')) peeled = a.slice(7);
      }
    }
    if (name === 'HEAD' && symrefTarget) headTarget = symrefTarget;
    if (oid === 'unborn') return;
    const ref: RemoteRef = { name, oid };
    if (symrefTarget) ref.symrefTarget = symrefTarget;
    if (peeled) ref.peeled = peeled;
    refs.push(ref);
  };
  await r.eachUntilFlush(onLine, 'ls-refs output');
  return { refs, headTarget };
}

/**
 * A `fetch` that sends every have and `done` at once: the server then skips the
 * acknowledgments section and answers with the pack in this one round.
 */
export function fetchRequest(caps: Capabilities, req: FetchRequest, url: string): { body: Uint8Array; warnings: string[] } {
  const warnings: string[] = [];
  const parts = commandHead(caps, 'fetch', url, req.serverOptions);
  if (req.thinPack) parts.push(pkt('thin-pack\n'));
  parts.push(pkt('ofs-delta\n'));
  if (req.noProgress) parts.push(pkt('no-progress\n'));
  if (req.includeTag) parts.push(pkt('include-tag\n'));
  const deepen = req.depth !== undefined || req.shallowSince !== undefined || (req.shallowExclude?.length ?? 0) > 0;
  if (deepen && !hasFeature(caps, 'fetch', 'shallow')) throw new TransportError('unsupported', 'Server does not support shallow requests', url);
  if (req.depth !== undefined) parts.push(pkt(`deepen ${req.depth}\n`));
  if (req.shallowSince) parts.push(pkt(`deepen-since ${Math.floor(req.shallowSince.getTime() / 1000)}\n`));
  for (const ref of req.shallowExclude ?? []) parts.push(pkt(`deepen-not ${ref}\n`));
  if (req.filter) {
    if (hasFeature(caps, 'fetch', 'filter')) parts.push(pkt(`filter ${req.filter}\n`));
    else warnings.push('filtering not recognized by server, ignoring');
  }
  for (const oid of new Set(req.wants)) parts.push(pkt(`want ${oid}\n`));
  for (const oid of req.haves ?? []) parts.push(pkt(`have ${oid}\n`));
  parts.push(pkt('done\n'), FLUSH);
  return { body: concat(parts), warnings };
}

/**
 * Reads a fetch response section by section (gitprotocol-v2, "fetch" output):
 * acknowledgments, shallow-info, wanted-refs, packfile-uris, packfile; sections
 * are separated by delimiters and the packfile section ends the response.
 */
export async function readFetchResponse(r: PktReader, sink: FetchSink, warnings: string[]): Promise<FetchResult> {
  const result: FetchResult = { shallow: [], unshallow: [] };
  if (warnings.length) result.warnings = warnings;
  for (;;) {
    const head = await r.expect();
    if (head.kind !== 'data') throw new TransportError('protocol', 'protocol error: expected a fetch response section header', r.url);
    const section = text(head.data);
    if (section === 'packfile') {
      await demuxSideband(r, sink);
      return uniqueShallow(result);
    }
    if (section === 'packfile-uris') {
      throw new TransportError('unsupported', 'the server offered packfile URIs, which wasmgit does not support', r.url);
    }
    if (section !== 'acknowledgments' && section !== 'shallow-info' && section !== 'wanted-refs') {
      throw new TransportError('protocol', `protocol error: unknown fetch response section '${section}'`, r.url);
    }
    let end: 'delim' | 'flush';
    for (;;) {
      const p = await r.expect();
      if (p.kind === 'delim') {
        end = 'delim';
        break;
      }
      if (p.kind === 'flush') {
        end = 'flush';
        break;
      }
      if (p.kind !== 'data') continue;
      const line = text(p.data);
      if (section === 'shallow-info') {
        if (line.startsWith('shallow ')) result.shallow.push(line.slice(8));
        else if (line.startsWith('unshallow ')) result.unshallow.push(line.slice(10));
        else throw new TransportError('protocol', `protocol error: bad shallow-info line '${line}'`, r.url);
      }
      // acknowledgments (ACK/NAK/ready) need no action since `done` was sent;
      // wanted-refs only answer want-ref, which wasmgit does not send.
    }
    if (end === 'flush') {
      // Only an acknowledgments section without `ready` ends this way: another
      // negotiation round would be needed, which a request with `done` never asks for.
      throw new TransportError('protocol', `protocol error: fetch response ended after '${section}' without a packfile`, r.url);
    }
  }
}

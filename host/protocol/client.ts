// Drives one conversation with git-upload-pack over any channel: reads the
// server's greeting, picks v2 or v0/v1 from it, and runs ls-refs/fetch. The
// transports (host/transport/) only move bytes; everything protocol-shaped is here.

import { watchAbort } from './abort.ts';
import { objectFormat, type Capabilities } from './capabilities.ts';
import { TransportError, hungUp } from './errors.ts';
import { FLUSH, PktReader, text } from './pktline.ts';
import { buildV0Request, readV0Advertisement, readV0Response } from './v0.ts';
import { fetchRequest, lsRefsRequest, readFetchResponse, readLsRefs, readV2Capabilities } from './v2.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink } from './types.ts';

/** How bytes reach upload-pack: a duplex stream (git://, ssh, file://) or request/response pairs (HTTP). */
export interface Channel {
  readonly url: string;
  /** True for HTTP: every request carries the whole state and gets its own response stream. */
  readonly stateless: boolean;
  /** Starts a conversation; resolves to a reader positioned at the server's greeting. */
  open(): Promise<PktReader>;
  /** Sends a request; resolves to the reader its answer arrives on. */
  send(body: Uint8Array): Promise<PktReader>;
  /** Ends the current conversation (after writing `goodbye`, on stateful channels). */
  end(goodbye?: Uint8Array): Promise<void>;
  /** Stops everything now (abort). */
  destroy(reason: unknown): void;
  /** Turns a failure into the error to report, adding what the channel knows (a child's stderr, say). */
  explain?(err: unknown): Promise<unknown>;
}

interface Conversation {
  reader: PktReader;
  version: 0 | 1 | 2;
  caps: Capabilities;
  adv?: Advertisement; // v0/v1: the greeting; v2: the last full ls-refs answer
  fetched: boolean;
}

export class ProtocolClient {
  private conv: Conversation | null = null;

  constructor(private readonly channel: Channel) {}

  get url(): string {
    return this.channel.url;
  }

  private async greet(): Promise<Conversation> {
    if (this.conv) return this.conv;
    const r = await this.channel.open();
    const first = await r.read();
    if (!first) {
      // connect.c die_initial_contact(): a connection that closes before saying
      // anything is a refusal (git daemon turning down the program asked for).
      if (!this.channel.stateless) throw new TransportError('connection', 'Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.', this.url);
      throw hungUp(this.url, 'no ref advertisement');
    }
    let conv: Conversation;
    const line = first.kind === 'data' ? text(first.data) : '';
    if (line === 'version 2') {
      conv = { reader: r, version: 2, caps: await readV2Capabilities(r), fetched: false };
    } else if (line === 'version 1') {
      const adv = await readV0Advertisement(r, 1);
      conv = { reader: r, version: 1, caps: adv.capabilities, adv, fetched: false };
    } else {
      r.unread(first);
      const adv = await readV0Advertisement(r, 0);
      conv = { reader: r, version: 0, caps: adv.capabilities, adv, fetched: false };
    }
    this.conv = conv;
    return conv;
  }

  private guard<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const run = async () => {
      try {
        return await work();
      } catch (err) {
        // After a failure the stream position is unknown: the next call starts afresh.
        this.conv = null;
        throw err;
      }
    };
    return watchAbort(signal, (reason) => this.channel.destroy(reason), run, async (err) => {
      await this.channel.end().catch(() => {});
      return this.channel.explain ? await this.channel.explain(err) : err;
    });
  }

  advertise(prefixes?: string[], signal?: AbortSignal, serverOptions?: string[]): Promise<Advertisement> {
    return this.guard(async () => {
      const conv = await this.greet();
      if (conv.version !== 2) {
        const adv = conv.adv!;
        if (!prefixes?.length) return adv;
        const refs = adv.refs.filter((ref) => prefixes.some((p) => ref.name.startsWith(p)));
        return { ...adv, refs };
      }
      const r = await this.channel.send(lsRefsRequest(conv.caps, this.url, prefixes, serverOptions));
      const { refs, headTarget } = await readLsRefs(r);
      const adv: Advertisement = { refs, headTarget, protocol: 2, capabilities: conv.caps, objectFormat: objectFormat(conv.caps) };
      if (!prefixes?.length) conv.adv = adv;
      return adv;
    }, signal);
  }

  fetch(req: FetchRequest, sink: FetchSink, signal?: AbortSignal): Promise<FetchResult> {
    return this.guard(async () => {
      if (req.wants.length === 0) return { shallow: [], unshallow: [] };
      // A v0 conversation on a stream is spent after one fetch: start another.
      if (this.conv?.fetched && this.conv.version !== 2 && !this.channel.stateless) {
        await this.channel.end();
        this.conv = null;
      }
      const conv = await this.greet();
      for (const oid of req.wants) {
        if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) throw new TransportError('protocol', `invalid object id to fetch: '${oid}'`, this.url);
      }
      let result: FetchResult;
      if (conv.version === 2) {
        const { body, warnings } = fetchRequest(conv.caps, req, this.url);
        const r = await this.channel.send(body);
        result = await readFetchResponse(r, sink, warnings);
      } else {
        const plan = buildV0Request(conv.adv!, req, this.url);
        const r = await this.channel.send(plan.body);
        result = await readV0Response(r, plan, sink);
      }
      conv.fetched = true;
      return result;
    }, req.signal ?? signal);
  }

  async close(): Promise<void> {
    const conv = this.conv;
    this.conv = null;
    if (!conv || this.channel.stateless) return this.channel.end();
    // A flush where upload-pack expects a command (v2) or wants (v0) ends it cleanly.
    const goodbye = conv.version === 2 || !conv.fetched ? FLUSH : undefined;
    await this.channel.end(goodbye).catch(() => {});
  }
}

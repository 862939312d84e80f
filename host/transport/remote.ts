// A Remote over any channel: the protocol client does the work; this binds the
// open-time abort signal to every call.

import { ProtocolClient, type Channel } from '../protocol/client.ts';
import type { Advertisement, FetchRequest, FetchResult, FetchSink, Remote } from '../protocol/types.ts';

export class ChannelRemote implements Remote {
  private readonly client: ProtocolClient;

  constructor(
    readonly url: string,
    channel: Channel,
    private readonly signal?: AbortSignal,
  ) {
    this.client = new ProtocolClient(channel);
  }

  advertise(o?: { prefixes?: string[]; serverOptions?: string[] }): Promise<Advertisement> {
    return this.client.advertise(o?.prefixes, this.signal, o?.serverOptions);
  }

  fetch(req: FetchRequest, sink: FetchSink): Promise<FetchResult> {
    return this.client.fetch(req, sink, this.signal);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

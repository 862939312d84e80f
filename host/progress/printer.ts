// Turns a clone's progress events into the text `git clone` prints on stderr.
// Meters appear only when progress is on (a terminal, or --progress) and never
// with -q; `Cloning into`, warnings and notes follow git's verbosity rules.
import type { CloneEvent } from '../clone.ts';
import { Progress, type ProgressOutput } from './progress.ts';
import { RemoteMessages } from './sideband.ts';

export interface PrinterOptions {
  /** Draw meters (git: stderr is a terminal, or --progress). */
  progress: boolean;
  /** -q: only errors and warnings. */
  quiet: boolean;
  /** stderr is a terminal: decides the clear-to-end-of-line suffix of remote lines. */
  terminal: boolean;
  color?: boolean;
  /** Where notes git prints on stdout go (default: with the rest). */
  stdout?(text: string): void;
}

export class GitProgressPrinter {
  private meters = new Map<string, Progress>();
  /** Bytes already counted when the receive meter started (git's first read happens before it). */
  private startBytes: number | undefined;
  private local = false;
  private remote: RemoteMessages;

  constructor(private readonly out: ProgressOutput, private readonly opts: PrinterOptions) {
    this.remote = new RemoteMessages((t) => out.write(t), { terminal: opts.terminal, color: !!opts.color });
  }

  private meter(title: string, total: number, delayed = false): Progress {
    let m = this.meters.get(title);
    if (!m) {
      m = new Progress(title, total, this.out, { delayed });
      this.meters.set(title, m);
    }
    return m;
  }

  private finish(title: string): void {
    this.meters.get(title)?.stop();
  }

  handle(e: CloneEvent): void {
    const { quiet, progress } = this.opts;
    switch (e.phase) {
      case 'start':
        this.local = !!e.local;
        if (!quiet) this.out.write(e.bare ? `Cloning into bare repository '${e.directory}'...\n` : `Cloning into '${e.directory}'...\n`);
        return;
      case 'warning':
        this.remote.flush();
        this.out.write(`warning: ${e.message}\n`);
        return;
      case 'note':
        if (quiet && !e.always) return;
        if (e.stdout && this.opts.stdout) this.opts.stdout(e.message);
        else this.out.write(e.message);
        return;
      case 'remote':
        this.remote.push(e.message);
        return;
      case 'receiving':
        // A local clone prints no meters, as git's local clone (copying objects) prints none.
        if (!progress || quiet || this.local) return;
        this.remote.flush();
        {
          if (!this.meters.has('Receiving objects')) this.startBytes = e.bytes;
          const m = this.meter('Receiving objects', e.total);
          // index-pack counts throughput from its first read after the meter starts.
          if (e.bytes !== undefined && e.bytes !== this.startBytes) m.throughput(e.bytes);
          m.update(e.done);
          if (e.done === e.total && e.final) this.finish('Receiving objects');
        }
        return;
      case 'resolving':
        if (!progress || quiet || !e.total || this.local) return;
        this.finish('Receiving objects');
        this.meter('Resolving deltas', e.total).update(e.done);
        if (e.final) this.finish('Resolving deltas');
        return;
      case 'walking':
        if (!progress || quiet) return;
        // walker.c loop(): a delayed meter counting objects, with no total.
        this.meter('Fetching objects', 0, true).update(e.done);
        if (e.final) this.finish('Fetching objects');
        return;
      case 'checkout':
        if (!progress || quiet || !e.total) return;
        // unpack-trees.c starts this meter delayed: quick checkouts print nothing.
        this.meter('Updating files', e.total, true).update(e.done);
        if (e.final) this.finish('Updating files');
        return;
      case 'fetched':
        this.remote.flush();
        this.finish('Receiving objects');
        this.finish('Resolving deltas');
        this.meters.clear(); // a later fetch (partial clone, submodule) draws its own meters
        return;
    }
  }
}

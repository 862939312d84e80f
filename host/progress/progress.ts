// Progress meters drawn exactly as git draws them (progress.c): `Title:  45% (1234/2741)`,
// redrawn with '\r' whenever the percentage changes or a one-second timer tick is
// pending, a throughput suffix `, 1.20 MiB | 3.40 MiB/s` once bytes are counted,
// and a final `, done.` line. A delayed meter (start_delayed_progress) skips
// display calls until a tick has passed twice, so quick phases print nothing.
import { humaniseBytes } from './humanise.ts';

export interface ProgressOutput {
  write(text: string): void;
  /** Terminal width; git falls back to 80. */
  columns?: number;
}

export interface Clock {
  /** Monotonic time in nanoseconds. */
  now(): bigint;
}

export const realClock: Clock = { now: () => process.hrtime.bigint() };

const TP_IDX_MAX = 8;
const SECOND = 1_000_000_000n;

interface Throughput {
  prevTotal: number;
  currTotal: number;
  prevNs: bigint;
  avgBytes: number;
  avgMisecs: number;
  lastBytes: number[];
  lastMisecs: number[];
  idx: number;
  display: string;
}

// git measures in "misecs", 1/1024 of a second: (ns * 4398) >> 32.
function misecs(ns: bigint): number {
  return Number((ns * 4398n) >> 32n);
}

function throughputString(total: number, rateKiB: number): string {
  return `, ${humaniseBytes(total)} | ${humaniseBytes(rateKiB * 1024, true)}`;
}

export class Progress {
  private lastValue = -1;
  private lastPercent = -1;
  private counters = '';
  private split = false;
  private delay: number;
  private readonly clock: Clock;
  private readonly startNs: bigint;
  /** Index of the last timer tick a redraw consumed (git's progress_update flag, as a count). */
  private shownTick = 0;
  private force = false;
  private tp: Throughput | null = null;
  private stopped = false;

  constructor(
    private readonly title: string,
    private readonly total: number,
    private readonly out: ProgressOutput,
    opts: { delayed?: boolean; clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.delay = opts.delayed ? 2 : 0;
    this.startNs = this.clock.now();
  }

  private tick(): number {
    return Number((this.clock.now() - this.startNs) / SECOND);
  }

  private updatePending(): boolean {
    return this.force || this.tick() > this.shownTick;
  }

  update(n: number): void {
    this.display(n, null);
  }

  /** Counts bytes received so far; the rate is averaged over the last 8 half-second samples. */
  throughput(total: number): void {
    const now = this.clock.now();
    if (!this.tp) {
      this.tp = { prevTotal: total, currTotal: total, prevNs: now, avgBytes: 0, avgMisecs: 0, lastBytes: new Array(TP_IDX_MAX).fill(0), lastMisecs: new Array(TP_IDX_MAX).fill(0), idx: 0, display: '' };
      return;
    }
    const tp = this.tp;
    tp.currTotal = total;
    if (now - tp.prevNs <= 500_000_000n) return;
    const ms = misecs(now - tp.prevNs);
    const count = total - tp.prevTotal;
    tp.prevTotal = total;
    tp.prevNs = now;
    tp.avgBytes += count;
    tp.avgMisecs += ms;
    const rate = Math.floor(tp.avgBytes / tp.avgMisecs);
    tp.avgBytes -= tp.lastBytes[tp.idx];
    tp.avgMisecs -= tp.lastMisecs[tp.idx];
    tp.lastBytes[tp.idx] = count;
    tp.lastMisecs[tp.idx] = ms;
    tp.idx = (tp.idx + 1) % TP_IDX_MAX;
    tp.display = throughputString(total, rate);
    if (this.lastValue !== -1 && this.updatePending()) this.display(this.lastValue, null);
  }

  /** Ends the meter with `, done.` (stop_progress_msg); a meter never drawn prints nothing. */
  stop(msg = 'done'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.lastValue === -1) return;
    if (this.tp) {
      const ms = misecs(this.clock.now() - this.startNs);
      this.tp.display = throughputString(this.tp.currTotal, Math.floor(this.tp.currTotal / (ms || 1)));
    }
    this.force = true;
    this.display(this.lastValue, `, ${msg}.\n`);
  }

  private display(n: number, done: string | null): void {
    if (this.stopped && done === null) return;
    const update = this.updatePending();
    if (this.delay && (!update || --this.delay)) return;
    this.lastValue = n;
    const tp = this.tp ? this.tp.display : '';
    const lastLen = this.counters.length;
    let show = false;
    if (this.total) {
      const percent = Math.floor((n * 100) / this.total);
      if (percent !== this.lastPercent || update) {
        this.lastPercent = percent;
        this.counters = `${String(percent).padStart(3)}% (${n}/${this.total})${tp}`;
        show = true;
      }
    } else if (update) {
      this.counters = `${n}${tp}`;
      show = true;
    }
    if (!show) return;
    const eol = done ?? '\r';
    // printf("%*s", clear, eol): eol right-aligned in `clear` columns wipes leftovers of a longer line.
    const clear = this.counters.length < lastLen ? lastLen - this.counters.length + 1 : 0;
    const cols = this.out.columns || 80;
    const lineLen = this.title.length + this.counters.length + 2;
    if (this.split) {
      this.out.write(`  ${this.counters}${eol.padStart(clear)}`);
    } else if (!done && cols < lineLen) {
      const c = this.title.length + 1 < cols ? cols - this.title.length - 1 : 0;
      this.out.write(`${this.title}:${' '.repeat(c)}\n  ${this.counters}${eol}`);
      this.split = true;
    } else {
      this.out.write(`${this.title}: ${this.counters}${eol.padStart(clear)}`);
    }
    this.shownTick = this.tick();
    this.force = false;
  }
}

// Private memory of a running process tree, read from Linux's /proc.
//
// Peak RSS (GNU time's %M) counts the resident pages of the executable and its
// libraries: ~31 MiB of Node's 40 MiB start-up RSS is /usr/bin/node's text,
// shared with every other node process and reclaimable. Anonymous resident
// memory (RssAnon) is what a process uses of its own; summed over the tree
// (git clone runs three processes at once), it is what the whole operation
// holds. Polled, so a peak shorter than the interval can be missed.
import { readdirSync, readFileSync } from 'node:fs';

/** The process and its descendants. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* gone already */
    }
  }
  return out;
}

/** Anonymous resident memory of the tree under `pid`, in KiB. */
function anonKiB(pid: number): number {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
    } catch {
      /* gone already */
    }
  }
  return sum;
}

/** Polls the tree under `pid` every `ms`; stop() returns the peak in KiB. */
export function watchPrivateMemory(pid: number, ms = 5): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, anonKiB(pid))), ms);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

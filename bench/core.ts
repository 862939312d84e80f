// npm run bench:core — the core's primitives against their native peers, all
// measured in this one run: inflate (per pack entry and one large stream) and
// the hashes (SHA-1DC vs git's own, plain SHA-1, SHA-256, CRC32).
import { benchInflate } from './core-inflate.ts';
import { benchHashes } from './core-hash.ts';

interface Row { name: string; mbPerSec: number; ratio: number; peer: string }

function print(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const peer = r.name === r.peer ? '  (peer)' : `  vs ${r.peer}`;
    console.log(`  ${r.name.padEnd(w)}  ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  ${r.ratio.toFixed(2)}×${peer}`);
  }
}

print('inflate', await benchInflate());
print('hashes', await benchHashes());

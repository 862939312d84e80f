// Pack bytes served to the core by positioned reads on a file descriptor: a
// copy into linear memory, never a file map (maps fail on virtiofs with
// cache=never and on FUSE direct_io mounts).
import { readSync } from 'node:fs';
import type { Source } from '../core/instance.ts';

export function fileSource(fd: number): Source {
  return {
    readAt(offset: number, dst: Uint8Array): number {
      let got = 0;
      while (got < dst.length) {
        const n = readSync(fd, dst, got, dst.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got;
    },
  };
}

// Writing .git/index after a checkout, as git's write_locked_index() does:
// the bytes come from the core (assembly/index-file.ts), go to `index.lock`
// (created exclusively, so a concurrent git command fails instead of racing),
// which is then renamed over `index`.
//
// Racily clean entries: an entry whose file was modified in the same
// timestamp granule as the index file was written cannot be trusted by its
// stat data alone. git's write_index() smudges such entries only when it wrote
// over an index it had read (istate->timestamp is set) and the file no longer
// matches; a fresh checkout has neither, and git writes real stat data for
// every entry. We do the same. git's readers then see that these entries'
// mtime is not older than the index file's, compare their content once
// (ce_modified_check_fs()), and `git status` refreshes the index.
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../core/instance.ts';
import { buildIndexFile, type CacheTreeNode, type IndexEntry } from '../core/index-file.ts';

export function writeIndex(core: Core, gitDir: string, entries: IndexEntry[], trees: CacheTreeNode[], stats?: Uint32Array): void {
  const bytes = buildIndexFile(core, entries, trees, stats);
  const lock = join(gitDir, 'index.lock');
  let fd: number;
  try {
    fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`unable to create '${lock}': File exists (another git process seems to be running in this repository)`);
    }
    throw err;
  }
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (err) {
    closeSync(fd);
    unlinkSync(lock);
    throw err;
  }
  closeSync(fd);
  renameSync(lock, join(gitDir, 'index'));
}

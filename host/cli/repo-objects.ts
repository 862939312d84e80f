// What `index-pack --fix-thin` needs from the repository it runs in: objects
// by id (loose, packed, or in an alternate), and the zlib level git would
// compress them at. Reading goes through the same reader the local transport
// uses (host/transport/local-repo.ts), inflating and applying deltas in the core.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitDirs } from '../repo/discover.ts';
import { lastValue, parseConfig, readUserConfig } from '../repo/config.ts';
import { LocalCore } from '../transport/local-core.ts';
import { objectDirs, packFiles, SourceObjects } from '../transport/local-repo.ts';
import type { FixThinOptions, LocalObject } from '../pack/fix-thin.ts';

/**
 * git's zlib_compression_level (environment.c), which index-pack compresses
 * appended objects at: core.loosecompression, else core.compression, else
 * Z_BEST_SPEED (1); -1 is zlib's default (6).
 */
export function looseCompressionLevel(repo: GitDirs): number {
  let entries = readUserConfig();
  try {
    entries = entries.concat(parseConfig(readFileSync(join(repo.commonDir, 'config'), 'utf8'), join(repo.commonDir, 'config')));
  } catch {
    // no repository config: the defaults
  }
  const text = lastValue(entries, 'core.loosecompression') ?? lastValue(entries, 'core.compression');
  if (text === undefined) return 1;
  const level = Number(text);
  if (!Number.isInteger(level) || level < -1 || level > 9) throw new Error(`bad zlib compression level ${text}`);
  return level === -1 ? 6 : level;
}

/** Objects of `repo` for completing thin packs; close() when done. */
export async function repositoryObjects(repo: GitDirs): Promise<FixThinOptions & { typeOf(id: string): Promise<number | null>; close(): void }> {
  const dirs = objectDirs(repo.commonDir);
  const reader = new SourceObjects(await LocalCore.load(), dirs, dirs.flatMap(packFiles), 20);
  const level = looseCompressionLevel(repo);
  return {
    lookup: async (id: string): Promise<LocalObject | null> => (reader.has(id) ? reader.read(id) : null),
    typeOf: async (id: string): Promise<number | null> => (reader.has(id) ? reader.typeOf(id) : null),
    level,
    close: () => reader.close(),
  };
}

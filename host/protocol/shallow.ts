// Servers repeat a shallow line when several wanted refs share a boundary commit;
// callers get each commit once.
import type { FetchResult } from './types.ts';

export function uniqueShallow(result: FetchResult): FetchResult {
  result.shallow = [...new Set(result.shallow)];
  result.unshallow = [...new Set(result.unshallow)];
  return result;
}

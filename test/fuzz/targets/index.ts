// Every fuzz target, by name. Names starting with `_` are not fuzzed by default.
import type { Target } from '../target.ts';
import { inflateTarget } from './inflate.ts';
import { deltaTarget } from './delta.ts';
import { packTarget } from './pack.ts';
import { treeTarget } from './tree.ts';
import { selftestTarget } from './selftest.ts';

export const targets: Record<string, Target> = {
  inflate: inflateTarget,
  delta: deltaTarget,
  pack: packTarget,
  tree: treeTarget,
  _selftest: selftestTarget,
};

/** The targets fuzzed when none is named. */
export const defaultTargets = Object.keys(targets).filter((n) => !n.startsWith('_'));

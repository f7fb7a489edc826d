import type { Split } from './model.js';

/** Train, valid and test percentages, summing to 100. */
export type SplitPercents = readonly [number, number, number];

/** A small seeded generator (mulberry32): the split is a pure function of the seed. */
const generator = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export interface SplitItem {
  readonly key: string;
  /** Category indices of the item's objects (or its class folder), for stratification. */
  readonly classes: readonly number[];
}

/**
 * Assigns each item (a source: all its outputs go with it) to train, valid or test: items are grouped
 * by their rarest class, each group is shuffled with the seed and cut by the percentages (largest
 * remainder, carried across groups so the totals match), so every class is spread like the whole.
 */
export const assignSplits = (
  items: readonly SplitItem[],
  percents: SplitPercents,
  seed: number,
): Map<string, Split> => {
  const frequency = new Map<number, number>();
  for (const item of items) for (const c of new Set(item.classes)) frequency.set(c, (frequency.get(c) ?? 0) + 1);
  const groupOf = (item: SplitItem): number =>
    item.classes.length === 0
      ? -1
      : ([...item.classes].sort((a, b) => (frequency.get(a) ?? 0) - (frequency.get(b) ?? 0) || a - b)[0] as number);
  const groups = new Map<number, SplitItem[]>();
  for (const item of [...items].sort((a, b) => a.key.localeCompare(b.key))) {
    const g = groupOf(item);
    groups.set(g, [...(groups.get(g) ?? []), item]);
  }
  const random = generator(seed);
  const out = new Map<string, Split>();
  const names: Split[] = ['train', 'valid', 'test'];
  const carry = [0, 0, 0];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(g) as SplitItem[];
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j] as SplitItem, group[i] as SplitItem];
    }
    // Ideal share per split plus what earlier groups were owed; whole items by largest remainder.
    const ideal = percents.map((p, k) => (group.length * p) / 100 + (carry[k] as number));
    const counts = ideal.map((x) => Math.max(0, Math.floor(x)));
    let left = group.length - counts.reduce((a, b) => a + b, 0);
    const order = [0, 1, 2].sort(
      (a, b) => (ideal[b] as number) - (counts[b] as number) - ((ideal[a] as number) - (counts[a] as number)),
    );
    for (const k of order) {
      if (left <= 0) break;
      if ((percents[k] as number) === 0) continue;
      counts[k] = (counts[k] as number) + 1;
      left--;
    }
    while (left > 0) {
      counts[0] = (counts[0] as number) + 1;
      left--;
    }
    while (left < 0) {
      const k = [2, 1, 0].find((i) => (counts[i] as number) > 0) as number;
      counts[k] = (counts[k] as number) - 1;
      left++;
    }
    for (let k = 0; k < 3; k++) carry[k] = (ideal[k] as number) - (counts[k] as number);
    let at = 0;
    for (let k = 0; k < 3; k++) {
      for (let n = 0; n < (counts[k] as number); n++) out.set((group[at++] as SplitItem).key, names[k] as Split);
    }
  }
  return out;
};

/** Parses `80,10,10` (train, valid, test percentages); undefined for anything else. */
export const parseSplitPercents = (raw: string): SplitPercents | undefined => {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  const values = parts.map(Number) as [number, number, number];
  return values.reduce((a, b) => a + b, 0) === 100 ? values : undefined;
};

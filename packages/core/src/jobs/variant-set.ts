/**
 * A set of variant indices as a hex bitmap (bit i of the string's nibbles): 20 variants take 5 characters,
 * 10,000 take 2,500. Plain strings, so the set is stored as one small attribute and works in the browser.
 */

const nibbleOf = (bits: string, i: number): number => Number.parseInt(bits[i] ?? '0', 16) || 0;

export const hasIndex = (bits: string, index: number): boolean =>
  (nibbleOf(bits, index >> 2) & (1 << (index & 3))) !== 0;

export const withIndices = (bits: string, indices: readonly number[]): string => {
  const nibbles = Array.from(bits, (c) => Number.parseInt(c, 16) || 0);
  for (const index of indices) {
    const at = index >> 2;
    while (nibbles.length <= at) nibbles.push(0);
    nibbles[at] = (nibbles[at] ?? 0) | (1 << (index & 3));
  }
  return nibbles.map((n) => n.toString(16)).join('');
};

/** The indices in the set, ascending. */
export const indicesOf = (bits: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < bits.length * 4; i++) if (hasIndex(bits, i)) out.push(i);
  return out;
};

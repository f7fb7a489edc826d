import assert from 'node:assert/strict';

/** A job's events (or their seqs) run 1, 2, 3, … with no gap and no repeat. */
export const assertContiguousSeqs = (items: readonly ({ seq: number } | number)[]): void => {
  const seqs = items.map((item) => (typeof item === 'number' ? item : item.seq));
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
};

/**
 * Runs `task` over `items` with at most `concurrency` at once. The first failure stops the runners from
 * starting more items, and the promise settles only once every task started has settled (so nothing the
 * tasks write lands after it), rejecting with that first failure.
 */
export const forEachLimited = async <T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const runners = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
        return;
      }
    }
  });
  await Promise.all(runners);
  if (failed) throw firstError;
};

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

/** Tasks handed over one at a time (from a stream), run with at most a bound at once. */
export interface LimitedPool {
  /**
   * Starts `task` once fewer than the bound are running, and resolves when it has started: a producer that awaits
   * it is held back while the pool is full. Rejects, starting nothing, once a task has failed.
   */
  run(task: () => Promise<void>): Promise<void>;
  /** Settles once every task started has settled, rejecting with the first failure. */
  settled(): Promise<void>;
}

/** A `LimitedPool` of at most `concurrency` tasks at once (the streaming sibling of `forEachLimited`). */
export const limitedPool = (concurrency: number): LimitedPool => {
  const running = new Set<Promise<void>>();
  let failed = false;
  let firstError: unknown;
  return {
    async run(task) {
      while (running.size >= Math.max(1, concurrency)) await Promise.race(running);
      if (failed) throw firstError;
      const started: Promise<void> = Promise.resolve()
        .then(task)
        .catch((error: unknown) => {
          if (!failed) firstError = error;
          failed = true;
        })
        .finally(() => running.delete(started));
      running.add(started);
    },
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
      if (failed) throw firstError;
    },
  };
};

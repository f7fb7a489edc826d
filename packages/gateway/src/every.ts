/**
 * Runs `task` every `everyMs`, never two runs at once (a run still going when the next is due skips that one);
 * a run that fails is reported to `onError`. The timer does not keep the process alive. Returns a stop function.
 */
export const every = (everyMs: number, task: () => Promise<unknown>, onError: (error: Error) => void): (() => void) => {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

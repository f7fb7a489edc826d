import type { HandlerContext } from './sqs-types.js';

/** The invocation's time budget as the handler sees it: when to stop starting work, when to answer. */
export interface Deadline {
  /** Aborts when the handler must stop starting new work (remaining time minus the margin). */
  readonly signal: AbortSignal;
  /** Resolves when the handler must answer with whatever is unfinished (half the margin before the end). */
  readonly answerBy: Promise<void>;
  /** Epoch ms at which `signal` aborts for lack of time (unset without a time budget). */
  readonly stopAt?: number;
  dispose(): void;
}

/**
 * Time kept back at the end of an invocation: 10 % of the budget, at least 1 s and at most 10 s, but never
 * more than a quarter of the budget (a 1 s budget keeps 250 ms back instead of all of it).
 * Half of it lets in-flight records record a retryable failure after the abort; the other half returns
 * the response before Lambda kills the sandbox.
 */
export const deadlineMarginMs = (budgetMs: number): number =>
  Math.min(10_000, Math.max(1_000, budgetMs * 0.1), budgetMs / 4);

const never = new Promise<void>(() => {});

/**
 * Derives the invocation's deadline from the Lambda context (`getRemainingTimeInMillis()`, which is how
 * Lambda tells a Node handler its time; the context has no abort signal) or, for the local worker pool,
 * from the signal it passes. Without either, the batch runs unbounded.
 */
export const deadlineOf = (context: HandlerContext | undefined, marginMs?: number): Deadline => {
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const outer = context?.signal;
  const onOuterAbort = () => abort.abort(outer?.reason);
  if (outer) {
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener('abort', onOuterAbort, { once: true });
  }
  let answerBy = never;
  let stopAt: number | undefined;
  const budget = context?.getRemainingTimeInMillis?.();
  if (budget !== undefined && Number.isFinite(budget)) {
    const margin = marginMs ?? deadlineMarginMs(budget);
    const stopIn = Math.max(0, budget - margin);
    const answerIn = Math.max(stopIn, budget - margin / 2);
    stopAt = Date.now() + stopIn;
    timers.push(setTimeout(() => abort.abort(new Error('the invocation is about to time out')), stopIn));
    answerBy = new Promise((resolve) => timers.push(setTimeout(resolve, answerIn)));
  }
  return {
    signal: abort.signal,
    answerBy,
    ...(stopAt === undefined ? {} : { stopAt }),
    dispose: () => {
      for (const timer of timers) clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
};

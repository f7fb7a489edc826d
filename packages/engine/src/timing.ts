/**
 * Optional CPU-time accounting of the renderer's phases, for the bench's per-variant breakdown. Off
 * by default (one branch per phase). It reads the process's CPU time (every thread, so sharp's work
 * on the libuv pool counts too): the bench renders one variant at a time while it is on, so that the
 * CPU spent during an awaited sharp call is that call's.
 */
export type Phase = 'geometry' | 'pixels' | 'encode';

const totals: Record<Phase, number> = { geometry: 0, pixels: 0, encode: 0 };
let enabled = false;

/** CPU milliseconds used by the process so far (user + system, all threads). */
export const cpuNow = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Turns the accounting on (and resets it) or off. */
export function recordPhases(on: boolean): void {
  enabled = on;
  for (const phase of Object.keys(totals) as Phase[]) totals[phase] = 0;
}

/** CPU milliseconds spent in each phase since {@link recordPhases}(true). */
export const phaseTotals = (): Readonly<Record<Phase, number>> => ({ ...totals });

/** Runs `work`, adding its duration to `phase` when the accounting is on. */
export async function inPhase<T>(phase: Phase, work: () => T | Promise<T>): Promise<T> {
  if (!enabled) return work();
  const started = cpuNow();
  try {
    return await work();
  } finally {
    totals[phase] += cpuNow() - started;
  }
}

/** {@link inPhase} for synchronous work. */
export function inPhaseSync<T>(phase: Phase, work: () => T): T {
  if (!enabled) return work();
  const started = cpuNow();
  try {
    return work();
  } finally {
    totals[phase] += cpuNow() - started;
  }
}

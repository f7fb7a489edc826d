/** Time comes in from outside so that domain code and tests stay deterministic. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

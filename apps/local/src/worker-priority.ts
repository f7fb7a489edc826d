import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The threads of this process: on Linux each has its own priority; elsewhere the process is one unit (0). */
const threads = (): number[] => {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
};

/**
 * Lowers this process's CPU priority by `nice` (WORKER_NICE) below the one it started with, as `nice -n` does
 * (at most to 19). On Linux a priority belongs to a thread, and a
 * new thread inherits its creator's: every thread that exists now is lowered, so the ones started later
 * (libuv's pool, libvips' workers) are lowered too. Returns the threads it could not lower (none, normally:
 * lowering a priority needs no privilege).
 */
export const lowerPriority = (nice: number): number[] => {
  const target = Math.min(19, getPriority() + nice);
  const failed: number[] = [];
  for (const tid of threads()) {
    try {
      setPriority(tid, target);
    } catch {
      failed.push(tid); // a thread that has just exited
    }
  }
  return failed;
};

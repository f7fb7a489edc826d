import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@delta-augment/core';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One local stack per data directory. Returns whether a previous owner died without releasing the lock
 * (so its in-flight work can be released at once rather than after the visibility timeout).
 */
export const lockDataDir = (dataDir: string): { previousOwnerDied: boolean; release(): void } => {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'stack.pid');
  let previous: number | undefined;
  try {
    previous = Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    previous = undefined;
  }
  if (previous && previous !== process.pid && isAlive(previous)) {
    throw new ConfigError(
      `DATA_DIR ${dataDir} is in use by another Delta Augment process (pid ${previous}); stop it or choose another DATA_DIR`,
    );
  }
  writeFileSync(file, String(process.pid));
  return {
    previousOwnerDied: previous !== undefined,
    release: () => rmSync(file, { force: true }),
  };
};

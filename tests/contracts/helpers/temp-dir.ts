import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir and the function that removes it. */
export const tempDir = async (label: string): Promise<{ dir: string; remove: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), `delta-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
};

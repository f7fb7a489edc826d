import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScannedInput } from './scan.js';

/** What an interrupted `augment` needs to carry on: the job it created and which file is which source. */
export interface UploadState {
  readonly version: 1;
  readonly url: string;
  /** Digest of the input (paths, sizes, modification times) and the job options: a changed input starts afresh. */
  readonly fingerprint: string;
  readonly jobId: string;
  /** sourceId → path relative to the input (signed uploads; empty for a dataset zip sent in one request). */
  readonly sources: Readonly<Record<string, string>>;
}

/** A digest of what would be sent: same files (by path, size and mtime), same options, same server. */
export const fingerprintOf = (input: ScannedInput, options: unknown, url: string): string => {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ url, options, kind: input.kind }));
  for (const file of [...input.images, ...input.labels])
    hash.update(`\n${file.relative}\t${file.bytes}\t${file.mtimeMs}`);
  return hash.digest('hex');
};

/** Reads the state file; a missing or unreadable one is no state. */
export const readState = async (path: string): Promise<UploadState | undefined> => {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const state = JSON.parse(text) as UploadState;
    return state.version === 1 && typeof state.jobId === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
};

/** Writes the state file atomically (temp file, then rename), so an interrupt never leaves half a file. */
export const writeState = async (path: string, state: UploadState): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, path);
};

export const removeState = (path: string): Promise<void> => rm(path, { force: true });

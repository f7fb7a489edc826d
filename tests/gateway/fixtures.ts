import { buffer } from 'node:stream/consumers';
import { ZipArchive } from 'archiver';
import type { LightMyRequestResponse } from 'fastify';

/** The `error` object of a 4xx/5xx body. */
export const errorOf = (response: Pick<LightMyRequestResponse, 'body'>) =>
  (JSON.parse(response.body) as { error: { code: string; message: string; field?: string } }).error;

/** A zip of the given entries (deflated), as a client would upload a dataset. */
export const makeZip = async (entries: readonly { name: string; data: Buffer }[]): Promise<Buffer> => {
  const zip = new ZipArchive({ zlib: { level: 6 } });
  const done = buffer(zip);
  for (const entry of entries) zip.append(entry.data, { name: entry.name, date: new Date('2024-01-01T00:00:00Z') });
  await zip.finalize();
  return done;
};

/**
 * Renames an entry in place, in the local header and the central directory. The names must have the
 * same length; used to craft names (`../x`, `/x`) that archiver itself refuses to write.
 */
export const renameEntry = (zip: Buffer, from: string, to: string): Buffer => {
  if (from.length !== to.length) throw new Error('renameEntry needs names of equal length');
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  let at = out.indexOf(needle);
  let count = 0;
  while (at !== -1) {
    out.write(to, at, 'latin1');
    count += 1;
    at = out.indexOf(needle, at + needle.length);
  }
  if (count === 0) throw new Error(`no entry named ${from}`);
  return out;
};

/**
 * Rewrites the uncompressed size that the central directory declares for every entry, so that an entry
 * inflates past what its header claims (a lying zip bomb).
 */
export const declareUncompressedSize = (zip: Buffer, size: number): Buffer => {
  const out = Buffer.from(zip);
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  let at = out.indexOf(signature);
  while (at !== -1) {
    out.writeUInt32LE(size, at + 24);
    at = out.indexOf(signature, at + 4);
  }
  return out;
};

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

import type { Readable } from 'node:stream';
import type { ByteRange } from '@delta-augment/ports';

/** Bytes fetched with one ranged get for a small read of a stored zip. */
export const WINDOW_BYTES = 64 * 1024;

/** Windows kept: one follows the central directory, the other the local headers among the entries' data. */
const WINDOWS = 2;

const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * Small reads of a stored object, served from a few cached windows. Reading a zip's entries takes three
 * small reads each (the 46-byte central directory record, its name and extra fields, the 30-byte local
 * header) before the entry's data: without windows each is a ranged get (a GetObject on S3, with its
 * latency and its price), four gets per image. With them, the central directory's records come WINDOW_BYTES
 * at a time (about 700 records per get) and the local headers of small entries share a window too, so an
 * image costs about one get, its data. Memory: WINDOWS x WINDOW_BYTES (128 KiB), whatever the zip's size.
 */
export class ReadWindows {
  private windows: { readonly start: number; readonly data: Buffer }[] = [];

  constructor(private readonly get: (range: ByteRange) => Promise<Readable>) {}

  /** Up to `length` bytes at `position` (fewer at the end of the object). */
  async read(position: number, length: number): Promise<Buffer> {
    const index = this.windows.findIndex((w) => position >= w.start && position + length <= w.start + w.data.length);
    const hit = this.windows[index];
    if (hit) {
      // Most recently used first.
      this.windows.splice(index, 1);
      this.windows.unshift(hit);
      return hit.data.subarray(position - hit.start, position - hit.start + length);
    }
    const data = await readAll(await this.get({ start: position, end: position + Math.max(length, WINDOW_BYTES) }));
    this.windows = [{ start: position, data }, ...this.windows].slice(0, WINDOWS);
    return data.subarray(0, length);
  }
}

/**
 * A large class-folder dataset zip written to disk as it is built (never whole in memory), for the
 * uploaded-dataset benchmarks: noise JPEGs (they do not compress, so the zip is as large as its images),
 * deflated as zip tools do by default.
 */
import { createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import sharp from 'sharp';

/** A noise JPEG of `side` x `side` pixels; `seed` varies its pixels. */
const noiseJpeg = (side: number, seed: number): Promise<Buffer> =>
  sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: { r: 100 + (seed % 50), g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();

/** The side of a noise JPEG of about `bytes` bytes (one calibration round). */
const sideFor = async (bytes: number): Promise<number> => {
  const probe = await noiseJpeg(400, 0);
  return Math.max(16, Math.round(400 * Math.sqrt(bytes / probe.length)));
};

export interface DatasetZipFile {
  readonly path: string;
  readonly bytes: number;
  readonly images: number;
  /** The side in pixels of every image. */
  readonly side: number;
}

/**
 * Writes a zip of `images` noise JPEGs in `classes` class folders (`dataset/class_<c>/img_<i>.jpg`), about
 * `totalBytes` in all, to `path`. A pool of 32 distinct images is cycled (generating thousands of large
 * noise images would take longer than the run they feed); deflate level 1 keeps writing it fast.
 */
export const writeDatasetZip = async (
  path: string,
  options: { readonly totalBytes: number; readonly images: number; readonly classes?: number },
): Promise<DatasetZipFile> => {
  const perImage = options.totalBytes / options.images;
  const side = await sideFor(perImage);
  const pool = await Promise.all(Array.from({ length: 32 }, (_, i) => noiseJpeg(side, i)));
  const zip = new ZipArchive({ zlib: { level: 1 } });
  const written = pipeline(zip, createWriteStream(path));
  const classes = options.classes ?? 10;
  // archiver queues the appends; they all refer to the pool's buffers, so the queue costs little memory.
  for (let i = 0; i < options.images; i++) {
    zip.append(pool[i % pool.length] as Buffer, {
      name: `dataset/class_${i % classes}/img_${String(i).padStart(5, '0')}.jpg`,
    });
  }
  await zip.finalize();
  await written;
  return { path, bytes: statSync(path).size, images: options.images, side };
};

/** `2g`, `500m`, `64k` or a plain number of bytes (decimal units; `gi`, `mi`, `ki` for binary ones). */
export const parseBytes = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?)?b?$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text} (e.g. 2g, 500m, 2gi)`);
  const unit = (match[2] ?? '').toLowerCase();
  const power = { '': 0, k: 1, m: 2, g: 3 }[unit.replace('i', '') as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * (unit.endsWith('i') ? 1024 : 1000) ** power);
};

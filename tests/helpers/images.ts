import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** Where the shared sample photos are: ../shared/images beside the checkout (CI), or /work/shared/images. */
export const sharedImagePath = (name: string): string => {
  const candidates = [
    join(import.meta.dirname, '..', '..', '..', 'shared', 'images', name),
    join('/work/shared/images', name),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`sample image ${name} not found in ${candidates.join(' or ')}`);
  return found;
};

export const sharedImage = (name = 'ladybird.jpg'): Buffer => readFileSync(sharedImagePath(name));

/** A small generated JPEG (a colour gradient), so that tests need no files. */
export const gradientJpeg = async (width = 64, height = 48): Promise<Buffer> => {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
};

/** A JPEG of noise: it does not compress (about 40 KB at 200 x 150). */
export const noiseJpeg = (width = 200, height = 150): Promise<Buffer> =>
  sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
  })
    .jpeg({ quality: 90 })
    .toBuffer();

/** Multipart form with image files and fields, as a browser or curl would send it. */
export const jobForm = (
  files: { name: string; data: Buffer; type?: string }[],
  fields: Record<string, string> = {},
): FormData => {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files)
    form.append('file', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/jpeg' }), f.name);
  return form;
};

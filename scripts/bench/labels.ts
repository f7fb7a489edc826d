/**
 * Labels in the engine bench: the same variants rendered without labels, with 8 boxes, 4 polygons
 * (24 points) and 2 objects with 17 keypoints (a busy detection image), and with those and one RLE
 * mask, interleaved (in an order that rotates) so that all three see the same machine load, after a
 * warm-up with labels (as the engine bench warms up without them).
 */
import { readFileSync } from 'node:fs';
import { encodeRle, type ImageLabels, type LabelObject, resolvePipeline } from '@delta-augment/core';
import { cpuNow, decodeSource, renderVariant } from '@delta-augment/engine';

const LIMITS = { maxPixels: 40_000_000, maxInputBytes: 50 * 1024 * 1024 };

/** Synthetic labels over a w × h image. */
export const busyLabels = (width: number, height: number): ImageLabels => {
  const objects: LabelObject[] = [];
  for (let k = 0; k < 8; k++) {
    const x = ((k % 4) * width) / 4 + width / 40;
    const y = (Math.floor(k / 4) * height) / 2 + height / 20;
    objects.push({ category: k % 3, box: { x, y, width: width / 6, height: height / 4 } });
  }
  for (let k = 0; k < 4; k++) {
    const cx = ((k + 0.5) * width) / 4;
    const cy = height / 2;
    const r = Math.min(width, height) / 10;
    const polygon = Array.from({ length: 24 }, (_, i) => {
      const a = (i * 2 * Math.PI) / 24;
      return [cx + r * Math.cos(a), cy + r * Math.sin(a)] as const;
    });
    objects.push({ category: 3, box: { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r }, polygons: [polygon] });
  }
  for (let k = 0; k < 2; k++) {
    const box = { x: width * (0.2 + 0.4 * k), y: height * 0.6, width: width * 0.2, height: height * 0.3 };
    const keypoints = Array.from({ length: 17 }, (_, i) => ({
      x: box.x + (box.width * (i % 5)) / 4,
      y: box.y + (box.height * Math.floor(i / 5)) / 3,
      v: 2 as const,
    }));
    objects.push({ category: 4, box, keypoints });
  }
  const data = new Uint8Array(width * height);
  const mask = {
    x0: Math.round(width * 0.4),
    y0: Math.round(height * 0.1),
    w: Math.round(width * 0.2),
    h: Math.round(height * 0.2),
  };
  for (let y = mask.y0; y < mask.y0 + mask.h; y++) data.fill(1, y * width + mask.x0, y * width + mask.x0 + mask.w);
  objects.push({
    category: 5,
    box: { x: mask.x0, y: mask.y0, width: mask.w, height: mask.h },
    mask: encodeRle({ width, height, data }),
  });
  return { width, height, objects };
};

export interface LabelFigures {
  readonly variants: number;
  readonly msWithout: number;
  /** Boxes, polygons and keypoints. */
  readonly msWith: number;
  /** The same and one RLE mask. */
  readonly msWithMask: number;
}

/** CPU ms per variant without and with labels, each variant rendered both ways back to back. */
export async function benchLabels(photos: readonly string[], preset: string, variants: number): Promise<LabelFigures> {
  const pipeline = resolvePipeline({ preset, seed: 42 });
  let without = 0;
  let withLabels = 0;
  let withMask = 0;
  let count = 0;
  // Warm-up, as the engine bench does: the label code's first calls (JIT) are not a per-variant cost.
  const warm = await decodeSource(readFileSync(photos[0] as string), LIMITS);
  const warmLabels = busyLabels(warm.width, warm.height);
  for (let i = 0; i < 5; i++)
    await renderVariant(warm, pipeline, 1000 + i, { labels: warmLabels, minVisibility: 0.25 });
  for (const photo of photos) {
    const source = await decodeSource(readFileSync(photo), LIMITS);
    const labels = busyLabels(source.width, source.height);
    const masked = { labels, minVisibility: 0.25 };
    const shapes = { labels: { ...labels, objects: labels.objects.filter((o) => !o.mask) }, minVisibility: 0.25 };
    const ways = [undefined, shapes, masked];
    for (let i = 0; i < variants; i++) {
      // The order rotates from variant to variant, so that no way always runs first (or last).
      const spent = [0, 0, 0];
      for (let k = 0; k < 3; k++) {
        const way = (i + k) % 3;
        const start = cpuNow();
        await renderVariant(source, pipeline, i, ways[way]);
        spent[way] = (spent[way] as number) + cpuNow() - start;
      }
      without += spent[0] as number;
      withLabels += spent[1] as number;
      withMask += spent[2] as number;
      count++;
    }
  }
  return { variants: count, msWithout: without / count, msWith: withLabels / count, msWithMask: withMask / count };
}

import { type Box, encodeRle, type ImageLabels, type Point } from '@delta-augment/core';
import sharp from 'sharp';

/** Pure colours of the scene's objects, told apart after any resampling by their dominant channel. */
export const COLOURS = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255] } as const;
export type Colour = keyof typeof COLOURS;

/** True when (x, y) lies inside the polygon (even-odd). */
export const inPolygon = (x: number, y: number, polygon: readonly Point[]): boolean => {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};

/**
 * A generated scene on a dark grey ground: a red box (labelled by its box and a keypoint at its
 * centre), a green pentagon (labelled by its polygon) and a blue disc (labelled by an RLE mask).
 */
export const scene = async (width = 200, height = 150): Promise<{ png: Buffer; labels: ImageLabels }> => {
  const red: Box = { x: 40, y: 35, width: 50, height: 36 };
  const pentagon: Point[] = [0, 1, 2, 3, 4].map((k) => {
    const a = -Math.PI / 2 + (k * 2 * Math.PI) / 5;
    return [130 + 26 * Math.cos(a), 60 + 26 * Math.sin(a)];
  });
  const disc = { cx: 100, cy: 108, r: 20 };
  const raw = Buffer.alloc(width * height * 3, 30);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      let colour: readonly number[] | undefined;
      if (cx > red.x && cx < red.x + red.width && cy > red.y && cy < red.y + red.height) colour = COLOURS.red;
      else if (inPolygon(cx, cy, pentagon)) colour = COLOURS.green;
      else if ((cx - disc.cx) ** 2 + (cy - disc.cy) ** 2 < disc.r ** 2) {
        colour = COLOURS.blue;
        mask[y * width + x] = 1;
      }
      if (colour) raw.set(colour, (y * width + x) * 3);
    }
  }
  const png = await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  const pentagonBox = {
    x: Math.min(...pentagon.map((p) => p[0])),
    y: Math.min(...pentagon.map((p) => p[1])),
    width: Math.max(...pentagon.map((p) => p[0])) - Math.min(...pentagon.map((p) => p[0])),
    height: Math.max(...pentagon.map((p) => p[1])) - Math.min(...pentagon.map((p) => p[1])),
  };
  return {
    png,
    labels: {
      width,
      height,
      objects: [
        { category: 0, box: red, keypoints: [{ x: red.x + red.width / 2, y: red.y + red.height / 2, v: 2 }] },
        { category: 1, box: pentagonBox, polygons: [pentagon] },
        {
          category: 2,
          box: { x: disc.cx - disc.r, y: disc.cy - disc.r, width: 2 * disc.r, height: 2 * disc.r },
          mask: encodeRle({ width, height, data: mask }),
        },
      ],
    },
  };
};

/** The box and centroid of the pixels whose dominant channel is the colour's (more than half bright). */
export const pixelsOf = (
  image: { data: Buffer; width: number; height: number; channels: number },
  colour: Colour,
): { box?: Box; count: number; centre?: Point } => {
  const k = colour === 'red' ? 0 : colour === 'green' ? 1 : 2;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  let count = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * image.channels;
      const c = image.data[o + k] as number;
      const others = [0, 1, 2].filter((i) => i !== k).map((i) => image.data[o + i] as number);
      if (c < 142 || others.some((v) => v > c - 60)) continue;
      count++;
      sx += x + 0.5;
      sy += y + 0.5;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
    }
  }
  return count === 0
    ? { count }
    : { count, box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, centre: [sx / count, sy / count] };
};

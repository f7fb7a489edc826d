import sharp, { type Sharp } from 'sharp';
import { formatColour, parseColour } from './colour.js';
import { type Draw, draw, type Params, pixels } from './draw-params.js';
import type { Canvas, Effect } from './effects.js';
import { limitTime, sharpRaw } from './encode.js';
import { type EraseRect, erase } from './pixels/erase.js';
import { motionKernel } from './pixels/kernels.js';
import { isoNoise } from './pixels/sensor.js';
import type { Rng } from './rng.js';
import type { RawImage } from './types.js';

/** A raw-to-raw sharp pass (same size and channels). */
function sharpPass(apply: (pipeline: Sharp) => Sharp): Effect {
  return {
    kind: 'async',
    run: async (image: RawImage) => ({
      ...image,
      data: await apply(sharpRaw(image)).raw().toBuffer(),
    }),
  };
}

/** The fill of erased rectangles: a colour, a random colour, or random pixels (drawn in that order). */
export function drawFill(spec: string, rng: Rng): { fill: EraseRect['fill']; shown: string } {
  if (spec === 'noise') {
    const noiseSeed = rng.nextUint32();
    return { fill: { noiseSeed }, shown: `noise:${noiseSeed}` };
  }
  const rgb = rng.nextUint32();
  const fill: EraseRect['fill'] =
    spec === 'random' ? [rgb & 255, (rgb >>> 8) & 255, (rgb >>> 16) & 255, 255] : parseColour(spec);
  return { fill, shown: formatColour(fill) };
}

function coarseDropout(params: Params, rng: Rng, canvas: Canvas) {
  const { width: W, height: H } = canvas;
  const count = draw(params.holes, rng, true);
  const rects: EraseRect[] = [];
  const recorded: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const width = Math.max(1, Math.min(W, Math.round(draw(params.size, rng) * W)));
    const height = Math.max(1, Math.min(H, Math.round(draw(params.size, rng) * H)));
    const left = rng.int(0, W - width);
    const top = rng.int(0, H - height);
    const { fill, shown } = drawFill(params.fill as string, rng);
    rects.push({ left, top, width, height, fill });
    recorded.push({ left, top, width, height, fill: shown });
  }
  return { params: { holes: recorded }, effect: pixels((image, owned) => erase(image, rects, owned)) };
}

function gridDropout(params: Params, rng: Rng, canvas: Canvas) {
  const { width: W, height: H } = canvas;
  const cells = draw(params.cells, rng, true);
  const ratio = draw(params.ratio, rng);
  const cell = Math.max(2, Math.floor(Math.min(W, H) / cells));
  const hole = Math.max(1, Math.round(cell * ratio));
  const offsetX = rng.int(0, cell - 1);
  const offsetY = rng.int(0, cell - 1);
  const { fill, shown } = drawFill(params.fill as string, rng);
  const rects: EraseRect[] = [];
  for (let y = offsetY - cell; y < H; y += cell) {
    for (let x = offsetX - cell; x < W; x += cell) {
      const left = Math.max(0, x);
      const top = Math.max(0, y);
      const width = Math.min(W, x + hole) - left;
      const height = Math.min(H, y + hole) - top;
      if (width > 0 && height > 0) rects.push({ left, top, width, height, fill });
    }
  }
  return {
    params: { cells, ratio, cell, hole, offsetX, offsetY, fill: shown },
    effect: pixels((image, owned) => erase(image, rects, owned)),
  };
}

/** Blur, noise, resolution loss and occlusion. */
export const FILTER_DRAWERS: Readonly<Record<string, Draw>> = {
  motionBlur(params, rng) {
    // An odd kernel size, so the line is centred.
    const size = draw(params.size, rng, true) | 1;
    const angle = draw(params.angle, rng);
    const { kernel, scale } = motionKernel(size, angle);
    return {
      params: { size, angle },
      effect: sharpPass((p) => p.convolve({ width: size, height: size, kernel, scale })),
    };
  },
  medianBlur(params, rng) {
    const size = draw(params.size, rng, true) | 1;
    return { params: { size }, effect: sharpPass((p) => p.median(size)) };
  },
  isoNoise(params, rng) {
    const luminance = draw(params.luminance, rng);
    const colour = draw(params.colour, rng);
    const seed = rng.nextUint32();
    return {
      params: { luminance, colour, seed },
      effect: pixels((image, owned) => isoNoise(image, luminance, colour, seed, owned)),
    };
  },
  downscale(params, rng, canvas) {
    const factor = draw(params.factor, rng);
    const kernel = params.interpolation as 'nearest' | 'linear' | 'cubic';
    const width = Math.max(1, Math.round(canvas.width * factor));
    const height = Math.max(1, Math.round(canvas.height * factor));
    return {
      params: { factor, width, height, interpolation: kernel },
      effect: {
        kind: 'async',
        run: async (image) => {
          const small = await sharpRaw(image).resize(width, height, { fit: 'fill' }).raw().toBuffer();
          const raw = { raw: { width, height, channels: image.channels } };
          const data = await limitTime(sharp(small, raw))
            .resize(image.width, image.height, { fit: 'fill', kernel })
            .raw()
            .toBuffer();
          return { ...image, data };
        },
      },
    };
  },
  coarseDropout,
  gridDropout,
};

import type { Box } from '@delta-augment/core';
import { type Draw, type DrawContext, draw, pixels, round4 } from './draw-params.js';
import type { Canvas, Effect } from './effects.js';
import { drawFill } from './filter-operations.js';
import { compose, scale, translate } from './geometry/matrix.js';
import { type EraseRect, erase } from './pixels/erase.js';
import type { Rng } from './rng.js';

/** Tries a randomly placed region gets before a fallback is used. */
const TRIES = 10;

/** A crop of the integer region, optionally scaled to outW × outH: a whole-pixel crop when not scaled. */
function cropEffect(left: number, top: number, width: number, height: number, outW: number, outH: number): Effect {
  const shift = translate(-left, -top);
  const matrix = outW === width && outH === height ? shift : compose(scale(outW / width, outH / height), shift);
  return { kind: 'transform', matrix, width: outW, height: outH, fill: [0, 0, 0, 0] };
}

/** The box around every box, clipped to the canvas; undefined when there are none inside. */
function unionOf(boxes: readonly Box[], canvas: Canvas): Box | undefined {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const b of boxes) {
    x0 = Math.min(x0, Math.max(0, b.x));
    y0 = Math.min(y0, Math.max(0, b.y));
    x1 = Math.max(x1, Math.min(canvas.width, b.x + b.width));
    y1 = Math.max(y1, Math.min(canvas.height, b.y + b.height));
  }
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}

/** Share of `box` inside the rectangle. */
function shareInside(box: Box, left: number, top: number, width: number, height: number): number {
  const w = Math.min(box.x + box.width, left + width) - Math.max(box.x, left);
  const h = Math.min(box.y + box.height, top + height) - Math.max(box.y, top);
  const area = box.width * box.height;
  return w > 0 && h > 0 && area > 0 ? (w * h) / area : 0;
}

const overlaps = (r: { left: number; top: number; width: number; height: number }, b: Box): boolean =>
  r.left < b.x + b.width && b.x < r.left + r.width && r.top < b.y + b.height && b.y < r.top + r.height;

/**
 * Box-safe random crop: each side moves in from the image edge by a share (drawn from `margin`) of
 * the gap between that edge and the box around every object, so no object loses any of its box.
 */
const bboxSafeCrop: Draw = (params, rng, canvas, context) => {
  const { width: W, height: H } = canvas;
  const union = unionOf(context.boxes(), canvas) ?? { x: W / 2, y: H / 2, width: 0, height: 0 };
  const [low, high] = params.margin as readonly [number, number];
  const share = (): number => rng.uniform(low, high);
  const left = Math.floor(share() * Math.floor(union.x));
  const top = Math.floor(share() * Math.floor(union.y));
  const right = W - Math.floor(share() * Math.floor(W - Math.ceil(union.x + union.width)));
  const bottom = H - Math.floor(share() * Math.floor(H - Math.ceil(union.y + union.height)));
  const width = Math.max(1, right - left);
  const height = Math.max(1, bottom - top);
  const resize = params.resize === true;
  return {
    params: { left, top, width, height, resize },
    effect: cropEffect(left, top, width, height, resize ? W : width, resize ? H : height),
  };
};

/**
 * Random-resized crop (torchvision's): a region of `area` share and `ratio` aspect at a random place,
 * scaled to `width` × `height`. With objects, a region that leaves none of them at least
 * minVisibility of its box is drawn again (up to 10 tries, then the whole image).
 */
const randomResizedCrop: Draw = (params, rng, canvas, context) => {
  const { width: W, height: H } = canvas;
  const outW = (params.width as number | undefined) ?? W;
  const outH = (params.height as number | undefined) ?? H;
  const boxes = context.boxes();
  const [a0, a1] = params.area as readonly [number, number];
  const [r0, r1] = params.ratio as readonly [number, number];
  for (let tries = 1; tries <= TRIES; tries++) {
    const area = rng.uniform(a0, a1) * W * H;
    const ratio = Math.exp(rng.uniform(Math.log(r0), Math.log(r1)));
    const width = Math.round(Math.sqrt(area * ratio));
    const height = Math.round(Math.sqrt(area / ratio));
    if (width < 1 || height < 1 || width > W || height > H) continue;
    const left = rng.int(0, W - width);
    const top = rng.int(0, H - height);
    if (boxes.length > 0 && !boxes.some((b) => shareInside(b, left, top, width, height) >= context.minVisibility)) {
      continue;
    }
    return {
      params: { left, top, width, height, outWidth: outW, outHeight: outH, tries },
      effect: cropEffect(left, top, width, height, outW, outH),
    };
  }
  return {
    params: { left: 0, top: 0, width: W, height: H, outWidth: outW, outHeight: outH, tries: TRIES, fallback: true },
    effect: cropEffect(0, 0, W, H, outW, outH),
  };
};

/** One hole of `objectCutout`, or undefined when no place was found. */
function placeHole(
  mode: string,
  size: number,
  rng: Rng,
  canvas: Canvas,
  boxes: readonly Box[],
): { left: number; top: number; width: number; height: number } | undefined {
  const { width: W, height: H } = canvas;
  if (mode === 'target' && boxes.length > 0) {
    // On an object: a hole `size` of its sides, inside its box.
    const box = boxes[rng.int(0, boxes.length - 1)] as Box;
    const x0 = Math.max(0, Math.ceil(box.x));
    const y0 = Math.max(0, Math.ceil(box.y));
    const x1 = Math.min(W, Math.floor(box.x + box.width));
    const y1 = Math.min(H, Math.floor(box.y + box.height));
    if (x1 <= x0 || y1 <= y0) return undefined;
    const width = Math.max(1, Math.min(x1 - x0, Math.round(size * (x1 - x0))));
    const height = Math.max(1, Math.min(y1 - y0, Math.round(size * (y1 - y0))));
    return { left: rng.int(x0, x1 - width), top: rng.int(y0, y1 - height), width, height };
  }
  const width = Math.max(1, Math.min(W, Math.round(size * W)));
  const height = Math.max(1, Math.min(H, Math.round(size * H)));
  for (let t = 0; t < TRIES; t++) {
    const hole = { left: rng.int(0, W - width), top: rng.int(0, H - height), width, height };
    if (mode !== 'avoid' || !boxes.some((b) => overlaps(hole, b))) return hole;
  }
  return undefined;
}

/**
 * Cutout that knows the objects: 'avoid' puts holes only where they cover no object box (a hole that
 * finds no such place in 10 tries is left out), 'target' puts each hole on a random object, a `size`
 * share of its sides. Labels lose what the holes cover, as with random erasing.
 */
const objectCutout: Draw = (params, rng, canvas, context: DrawContext) => {
  const boxes = context.boxes();
  const holes = draw(params.holes, rng, true);
  const mode = params.mode as string;
  const rects: EraseRect[] = [];
  const recorded: Record<string, unknown>[] = [];
  for (let i = 0; i < holes; i++) {
    const hole = placeHole(mode, draw(params.size, rng), rng, canvas, boxes);
    if (hole === undefined) continue;
    const { fill, shown } = drawFill(params.fill as string, rng);
    rects.push({ ...hole, fill });
    recorded.push({ ...hole, fill: shown });
  }
  return { params: { mode, rects: recorded }, effect: pixels((image, owned) => erase(image, rects, owned)) };
};

/**
 * Mosaic: this image and three others of the job (the same split; this image again when there are
 * none) in the four quadrants around a random centre, each scaled to cover its quadrant with the
 * corner that faces the centre on it; labels are merged and clipped to their quadrants.
 */
const mosaic: Draw = (params, rng, canvas, context) => {
  const [c0, c1] = params.centre as readonly [number, number];
  const centreX = Math.min(canvas.width - 1, Math.max(1, Math.round(canvas.width * rng.uniform(c0, c1))));
  const centreY = Math.min(canvas.height - 1, Math.max(1, Math.round(canvas.height * rng.uniform(c0, c1))));
  const quadrant = rng.int(0, 3);
  const partners = [0, 1, 2].map(() => (context.partners > 0 ? rng.int(0, context.partners - 1) : -1));
  return {
    params: { centreX, centreY, quadrant },
    effect: { kind: 'mosaic', layout: { centreX, centreY, quadrant }, partners },
  };
};

/**
 * Copy-paste: objects of another image of the job (this image's source when there is none) are cut
 * out by their polygon or mask and pasted; which objects, their size and place are drawn here as
 * shares and resolved once that image's labels are loaded (see `resolvePastes`).
 */
const copyPaste: Draw = (params, rng, _canvas, context) => {
  const partner = context.partners > 0 ? rng.int(0, context.partners - 1) : -1;
  const count = draw(params.objects, rng, true);
  const picks = Array.from({ length: count }, () => ({
    pick: rng.uniform(0, 1),
    scale: draw(params.scale, rng),
    x: round4(rng.uniform(0, 1)),
    y: round4(rng.uniform(0, 1)),
  }));
  const text = (params.classes as string | undefined) ?? '';
  const classes = text === '' ? undefined : text.split(',').map(Number);
  return {
    params: { objects: count },
    effect: { kind: 'copyPaste', partner, picks, ...(classes ? { classes } : {}) },
  };
};

/** Operations that use the objects' labels (and, for mosaic and copy-paste, other images of the job). */
export const DETECTION_DRAWERS: Readonly<Record<string, Draw>> = {
  bboxSafeCrop,
  randomResizedCrop,
  objectCutout,
  mosaic,
  copyPaste,
};

// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing, in bounds by construction.
import {
  type Bitmap,
  type Box,
  bitmapBox,
  boundsOf,
  boxCorners,
  clipPolygon,
  type DroppedLabel,
  decodeRle,
  densify,
  encodeRle,
  type ImageLabels,
  type Keypoint,
  type LabelObject,
  type Point,
  polygonArea,
} from '@delta-augment/core';
import type { Canvas, DisplacementField, DrawnOperation } from '../effects.js';
import { apply, invert, isAffine, type Mat3 } from '../geometry/matrix.js';
import { displacementAt, forwardThroughField } from './field.js';

export interface FollowOptions {
  /** Objects with less than this share of their area left in the output are dropped (0.25). */
  readonly minVisibility: number;
}

/** The labels of one output, and what did not survive. */
export interface FollowedLabels {
  readonly labels: ImageLabels;
  readonly dropped: readonly DroppedLabel[];
}

/** Longest polygon edge (pixels) before a curved map (distortion, perspective) is applied to it. */
const DENSIFY_STEP = 3;
/** Smallest box side (pixels) an output keeps. */
const MIN_SIDE = 1;

type MaskStage =
  | { readonly kind: 'matrix'; readonly inverse: Mat3; readonly inWidth: number; readonly inHeight: number }
  | { readonly kind: 'displace'; readonly field: DisplacementField };

interface Tracked {
  readonly index: number;
  readonly source: LabelObject;
  /** The object's outline in the current canvas: its polygons, or its box as one polygon. */
  outline: Point[][];
  keypoints?: Keypoint[];
  mask?: Bitmap;
  /** A box holding every set pixel of `mask` (so that only it is read). */
  maskRegion?: Box;
  /** True while `mask` is the shared decoded source mask (copy before writing). */
  maskShared?: boolean;
  /** Share of the object's area still in the picture. */
  visible: number;
  dropped?: string;
}

const areaOf = (polygons: readonly (readonly Point[])[]): number => polygons.reduce((s, p) => s + polygonArea(p), 0);

/** Removes points on the straight line between their neighbours (densified edges that stayed straight). */
const simplify = (points: readonly Point[]): Point[] => {
  if (points.length <= 3) return [...points];
  const out: Point[] = [];
  for (let i = 0; i < points.length; i++) {
    const a = out.at(-1) ?? (points.at(-1) as Point);
    const b = points[i] as Point;
    const c = points[(i + 1) % points.length] as Point;
    const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    const length = Math.hypot(c[0] - a[0], c[1] - a[1]);
    if (length === 0 || Math.abs(cross) / length > 0.05) out.push(b);
  }
  return out.length >= 3 ? out : [...points];
};

/** Moves every tracked point by `map`, clips outlines to the new canvas and updates visibility. */
function moveAll(objects: readonly Tracked[], map: (x: number, y: number) => [number, number], canvas: Canvas): void {
  const { width: W, height: H } = canvas;
  for (const o of objects) {
    if (o.dropped) continue;
    const moved = o.outline.map((polygon) => polygon.map(([x, y]) => map(x, y)));
    const before = areaOf(moved);
    o.outline = moved.map((p) => clipPolygon(p, W, H)).filter((p) => p.length >= 3);
    if (before > 0) o.visible *= areaOf(o.outline) / before;
    if (o.keypoints) {
      o.keypoints = o.keypoints.map((k) => {
        if (k.v === 0) return k;
        const [x, y] = map(k.x, k.y);
        return x >= 0 && y >= 0 && x <= W && y <= H ? { x, y, v: k.v } : { x: 0, y: 0, v: 0 };
      });
    }
  }
}

/**
 * Warps a mask by the pending stages with nearest-neighbour sampling, exactly as the pixels were
 * mapped back; only the output pixels near the object's moved outline are visited.
 */
function warpMask(
  mask: Bitmap,
  stages: readonly MaskStage[],
  canvas: Canvas,
  near: Box | undefined,
): { mask: Bitmap; region: Box } {
  const { width: W, height: H } = canvas;
  const data = new Uint8Array(W * H);
  if (near === undefined) return { mask: { width: W, height: H, data }, region: { x: 0, y: 0, width: 0, height: 0 } };
  const x0 = Math.max(0, Math.floor(near.x) - 2);
  const y0 = Math.max(0, Math.floor(near.y) - 2);
  const x1 = Math.min(W, Math.ceil(near.x + near.width) + 2);
  const y1 = Math.min(H, Math.ceil(near.y + near.height) + 2);
  const region = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      let u = x + 0.5;
      let v = y + 0.5;
      let inside = true;
      for (let k = stages.length - 1; k >= 0 && inside; k--) {
        const stage = stages[k]!;
        if (stage.kind === 'matrix') {
          const m = stage.inverse;
          const q = m[6] * u + m[7] * v + m[8];
          const nu = (m[0] * u + m[1] * v + m[2]) / q;
          v = (m[3] * u + m[4] * v + m[5]) / q;
          u = nu;
          inside = q > 0 && u >= 0 && v >= 0 && u <= stage.inWidth && v <= stage.inHeight;
        } else {
          const [dx, dy] = displacementAt(stage.field, u, v);
          u += dx;
          v += dy;
          inside = u >= 0 && v >= 0 && u <= stage.field.width && v <= stage.field.height;
        }
      }
      if (!inside) continue;
      const sx = Math.min(mask.width - 1, Math.floor(u));
      const sy = Math.min(mask.height - 1, Math.floor(v));
      data[y * W + x] = mask.data[sy * mask.width + sx]!;
    }
  }
  return { mask: { width: W, height: H, data }, region };
}

/** Set pixels of a mask inside a region. */
const countIn = (mask: Bitmap, region: Box | undefined): number => {
  const x0 = Math.max(0, Math.floor(region?.x ?? 0));
  const y0 = Math.max(0, Math.floor(region?.y ?? 0));
  const x1 = Math.min(mask.width, Math.ceil(region ? region.x + region.width : mask.width));
  const y1 = Math.min(mask.height, Math.ceil(region ? region.y + region.height : mask.height));
  let count = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) count += mask.data[y * mask.width + x]!;
  return count;
};

/** Decoded source masks, shared by every variant of a source (never written: copied first). */
const decoded = new WeakMap<object, { bitmap: Bitmap; region: Box }>();

const decodeOnce = (rle: NonNullable<LabelObject['mask']>): { bitmap: Bitmap; region: Box } => {
  let entry = decoded.get(rle);
  if (entry === undefined) {
    const bitmap = decodeRle(rle);
    entry = { bitmap, region: bitmapBox(bitmap) ?? { x: 0, y: 0, width: 0, height: 0 } };
    decoded.set(rle, entry);
  }
  return entry;
};

/** Part of `box` not covered by the rectangles: its area and bounds, exact (coordinate compression). */
function uncovered(box: Box, rects: readonly Box[]): { area: number; bounds?: Box } {
  const xs = [box.x, box.x + box.width];
  const ys = [box.y, box.y + box.height];
  for (const r of rects) {
    for (const x of [r.x, r.x + r.width]) if (x > box.x && x < box.x + box.width) xs.push(x);
    for (const y of [r.y, r.y + r.height]) if (y > box.y && y < box.y + box.height) ys.push(y);
  }
  xs.sort((a, b) => a - b);
  ys.sort((a, b) => a - b);
  let area = 0;
  const free: Point[] = [];
  for (let i = 0; i + 1 < xs.length; i++) {
    for (let j = 0; j + 1 < ys.length; j++) {
      const cx = (xs[i]! + xs[i + 1]!) / 2;
      const cy = (ys[j]! + ys[j + 1]!) / 2;
      if (rects.some((r) => cx > r.x && cx < r.x + r.width && cy > r.y && cy < r.y + r.height)) continue;
      area += (xs[i + 1]! - xs[i]!) * (ys[j + 1]! - ys[j]!);
      free.push([xs[i]!, ys[j]!], [xs[i + 1]!, ys[j + 1]!]);
    }
  }
  const bounds = boundsOf([free]);
  return bounds ? { area, bounds } : { area };
}

/** Clips a polygon to a box (the convex clip of {@link clipPolygon}, shifted). */
const clipToBox = (points: readonly Point[], box: Box): Point[] =>
  clipPolygon(
    points.map(([x, y]) => [x - box.x, y - box.y] as Point),
    box.width,
    box.height,
  ).map(([x, y]) => [x + box.x, y + box.y] as Point);

/**
 * Moves a source's labels through the operations drawn for one variant, with the same drawn
 * parameters as the pixels: points go through each forward matrix and through the inverse of each
 * displacement field (the pixels sample backwards, so a point moves to where its pixel went);
 * outlines are clipped to every intermediate canvas; masks are warped nearest-neighbour; boxes are
 * recomputed from the moved outline or mask; random erasing hides what it covers.
 */
export function followLabels(
  labels: ImageLabels,
  drawn: readonly DrawnOperation[],
  source: Canvas,
  options: FollowOptions,
): FollowedLabels {
  const sx = source.width / labels.width;
  const sy = source.height / labels.height;
  const curved = drawn.some(
    ({ effect }) => effect.kind === 'displace' || (effect.kind === 'transform' && !isAffine(effect.matrix)),
  );
  const shape = (points: readonly Point[]): Point[] => {
    const scaled = points.map(([x, y]) => [x * sx, y * sy] as Point);
    return curved ? densify(scaled, DENSIFY_STEP) : scaled;
  };
  const objects: Tracked[] = labels.objects.map((o, index) => {
    const t: Tracked = {
      index,
      source: o,
      outline: o.polygons?.length ? o.polygons.map(shape) : [shape(boxCorners(o.box))],
      visible: 1,
    };
    if (o.keypoints) t.keypoints = o.keypoints.map((k) => (k.v === 0 ? k : { x: k.x * sx, y: k.y * sy, v: k.v }));
    if (o.mask) {
      const { bitmap, region } = decodeOnce(o.mask);
      t.mask = bitmap;
      t.maskRegion = region;
      t.maskShared = true;
    }
    return t;
  });
  let canvas = source;
  let stages: MaskStage[] = [];
  const flushMasks = (): void => {
    if (stages.length === 0) return;
    for (const o of objects) {
      if (o.dropped || !o.mask) continue;
      const before = countIn(o.mask, o.maskRegion);
      const warped = warpMask(o.mask, stages, canvas, boundsOf(o.outline));
      o.mask = warped.mask;
      o.maskRegion = warped.region;
      o.maskShared = false;
      // Masks scale with the map: the outline's visibility is the measure; an emptied mask is gone.
      if (before > 0 && countIn(o.mask, o.maskRegion) === 0) o.visible = 0;
    }
    stages = [];
  };
  const needsMasks = objects.some((o) => o.mask);
  // Masks start at the source canvas; a label canvas of another size is scaled first.
  if (needsMasks && (sx !== 1 || sy !== 1)) {
    stages.push({
      kind: 'matrix',
      inverse: [1 / sx, 0, 0, 0, 1 / sy, 0, 0, 0, 1],
      inWidth: labels.width,
      inHeight: labels.height,
    });
  }
  for (const { op, params, effect } of drawn) {
    if (effect.kind === 'transform') {
      const { matrix } = effect;
      const before = canvas;
      canvas = { ...canvas, width: effect.width, height: effect.height };
      moveAll(objects, (x, y) => apply(matrix, x, y), canvas);
      if (needsMasks)
        stages.push({ kind: 'matrix', inverse: invert(matrix), inWidth: before.width, inHeight: before.height });
    } else if (effect.kind === 'displace') {
      const field = effect.build(canvas);
      moveAll(objects, (x, y) => forwardThroughField(field, x, y), canvas);
      if (needsMasks) stages.push({ kind: 'displace', field });
    } else if (op === 'erase') {
      flushMasks();
      const rects = (params.rects as { left: number; top: number; width: number; height: number }[] | undefined) ?? [];
      eraseLabels(
        objects,
        rects.map((r) => ({ x: r.left, y: r.top, width: r.width, height: r.height })),
        canvas,
      );
    }
  }
  flushMasks();
  return finish(objects, canvas, options);
}

/** Random erasing: what it covers is hidden; boxes shrink to the part left, masks lose the pixels. */
function eraseLabels(objects: readonly Tracked[], rects: readonly Box[], canvas: Canvas): void {
  if (rects.length === 0) return;
  for (const o of objects) {
    if (o.dropped) continue;
    if (o.keypoints) {
      o.keypoints = o.keypoints.map((k) =>
        k.v === 2 && rects.some((r) => k.x >= r.x && k.x <= r.x + r.width && k.y >= r.y && k.y <= r.y + r.height)
          ? { ...k, v: 1 }
          : k,
      );
    }
    if (o.mask) {
      if (o.maskShared) {
        o.mask = { ...o.mask, data: o.mask.data.slice() };
        o.maskShared = false;
      }
      const before = countIn(o.mask, o.maskRegion);
      for (const r of rects) {
        for (let y = Math.max(0, r.y); y < Math.min(canvas.height, r.y + r.height); y++) {
          o.mask.data.fill(
            0,
            y * canvas.width + Math.max(0, r.x),
            y * canvas.width + Math.min(canvas.width, r.x + r.width),
          );
        }
      }
      if (before > 0) o.visible *= countIn(o.mask, o.maskRegion) / before;
      continue;
    }
    const box = boundsOf(o.outline);
    if (box === undefined || box.width * box.height === 0) continue;
    const left = uncovered(box, rects);
    o.visible *= left.area / (box.width * box.height);
    if (left.bounds === undefined) o.outline = [];
    else {
      const bounds = left.bounds;
      o.outline = o.outline.map((p) => clipToBox(p, bounds)).filter((p) => p.length >= 3);
    }
  }
}

function finish(objects: readonly Tracked[], canvas: Canvas, options: FollowOptions): FollowedLabels {
  const kept: LabelObject[] = [];
  const dropped: DroppedLabel[] = [];
  const drop = (o: Tracked, reason: string) => dropped.push({ index: o.index, category: o.source.category, reason });
  for (const o of objects) {
    const outline = o.outline.map(simplify).filter((p) => p.length >= 3);
    const box = o.mask ? bitmapBox(o.mask, o.maskRegion) : boundsOf(outline);
    if (box === undefined || o.visible <= 0) {
      drop(o, 'outside the image');
      continue;
    }
    if (o.visible < options.minVisibility) {
      drop(o, `only ${Math.round(o.visible * 100)}% visible (minVisibility ${options.minVisibility})`);
      continue;
    }
    if (box.width < MIN_SIDE || box.height < MIN_SIDE) {
      drop(o, 'smaller than a pixel');
      continue;
    }
    const object: LabelObject = {
      category: o.source.category,
      box,
      ...(o.source.polygons?.length && outline.length ? { polygons: outline } : {}),
      ...(o.mask ? { mask: encodeRle(o.mask, o.maskRegion) } : {}),
      ...(o.keypoints ? { keypoints: o.keypoints } : {}),
      ...(o.source.crowd ? { crowd: true } : {}),
    };
    kept.push(object);
  }
  return { labels: { width: canvas.width, height: canvas.height, objects: kept }, dropped };
}

// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing, in bounds by construction.
import {
  type Box,
  boundsOf,
  boxCorners,
  clipPolygon,
  type DroppedLabel,
  densify,
  type ImageLabels,
  type Keypoint,
  type LabelObject,
  type Point,
  polygonArea,
} from '@delta-augment/core';
import { difference } from 'polyclip-ts';
import { type Paste, resolvePastes } from '../copy-paste.js';
import type { Canvas, DrawnOperation } from '../effects.js';
import { apply, compose, invert, isAffine, scale } from '../geometry/matrix.js';
import { type Placement, placement, slotQuadrants } from '../mosaic.js';
import { forwardThroughField } from './field.js';
import {
  cropHas,
  cropOfRle,
  cropRects,
  encodeCrop,
  eraseCrop,
  type MaskCrop,
  type MaskStage,
  subtractCrop,
  warpCrop,
} from './mask.js';

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

interface Tracked {
  readonly index: number;
  readonly source: LabelObject;
  /** The object's outline in the current canvas: its polygons, or its box as one polygon. */
  outline: Point[][];
  keypoints?: Keypoint[];
  mask?: MaskCrop;
  /** Share of the object's area still in the picture. */
  visible: number;
  dropped?: string;
  /** Set once a pasted object covered part of it. */
  covered?: boolean;
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
  partners: ReadonlyMap<number, PartnerLabels> = new Map(),
): FollowedLabels {
  const curved = drawn.some(
    ({ effect }) => effect.kind === 'displace' || (effect.kind === 'transform' && !isAffine(effect.matrix)),
  );
  /** The object, its points scaled from its labels' canvas to its image's (its mask stays on the labels' canvas). */
  const track = (o: LabelObject, index: number, sx: number, sy: number): Tracked => {
    const shape = (points: readonly Point[]): Point[] => {
      const scaled = points.map(([x, y]) => [x * sx, y * sy] as Point);
      return curved ? densify(scaled, DENSIFY_STEP) : scaled;
    };
    const t: Tracked = {
      index,
      source: o,
      outline: o.polygons?.length ? o.polygons.map(shape) : [shape(boxCorners(o.box))],
      visible: 1,
    };
    if (o.keypoints) t.keypoints = o.keypoints.map((k) => (k.v === 0 ? k : { x: k.x * sx, y: k.y * sy, v: k.v }));
    if (o.mask) t.mask = cropOfRle(o.mask);
    return t;
  };
  const sx = source.width / labels.width;
  const sy = source.height / labels.height;
  const objects: Tracked[] = labels.objects.map((o, index) => track(o, index, sx, sy));
  let canvas = source;
  let stages: MaskStage[] = [];
  /** The canvas the masks are on: the labels' own until the first flush. */
  let maskCanvas = { width: labels.width, height: labels.height };
  const flushMasks = (): void => {
    if (stages.length === 0) return;
    for (const o of objects) {
      if (o.dropped || !o.mask) continue;
      const before = o.mask.count;
      o.mask = warpCrop(o.mask, stages, maskCanvas, canvas.width, canvas.height, boundsOf(o.outline));
      // Masks scale with the map: the outline's visibility is the measure; an emptied mask is gone.
      if (before > 0 && o.mask.count === 0) o.visible = 0;
    }
    stages = [];
    maskCanvas = { width: canvas.width, height: canvas.height };
  };
  // Pasted objects may bring masks: then every later map is followed by the masks too.
  const needsMasks = objects.some((o) => o.mask) || drawn.some(({ effect }) => effect.kind === 'copyPaste');
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
    } else if (effect.kind === 'mosaic') {
      flushMasks();
      const { layout } = effect;
      const { width: W, height: H } = canvas;
      const slots = slotQuadrants(layout);
      const before = objects.filter((o) => !o.dropped).map((o) => ({ ...o }));
      const own = placement(layout, W, H, slots[0] as number, W, H);
      placeObjects(objects, own, canvas, canvas);
      effect.partners.forEach((k, i) => {
        const quadrant = slots[i + 1] as number;
        if (k < 0) {
          // This image again: copies of its objects as they were.
          const copies = before.map((o, n) => ({ ...o, index: objects.length + n }));
          placeObjects(copies, placement(layout, W, H, quadrant, W, H), canvas, canvas);
          objects.push(...copies);
          return;
        }
        const partner = partners.get(k);
        if (partner === undefined) return;
        const { labels: theirs, width, height } = partner;
        const added = theirs.objects.map((o, n) =>
          track(o, objects.length + n, width / theirs.width, height / theirs.height),
        );
        placeObjects(
          added,
          placement(layout, W, H, quadrant, width, height),
          canvas,
          {
            width: theirs.width,
            height: theirs.height,
            hasAlpha: false,
          },
          [width / theirs.width, height / theirs.height],
        );
        objects.push(...added);
      });
    } else if (effect.kind === 'copyPaste') {
      flushMasks();
      const from =
        effect.partner < 0 ? { labels, width: source.width, height: source.height } : partners.get(effect.partner);
      if (from === undefined) continue;
      for (const paste of resolvePastes(effect, from, canvas.width, canvas.height)) {
        occlude(objects, paste);
        objects.push(pasted(paste, objects.length, curved));
      }
    } else if (op === 'erase' || op === 'objectCutout') {
      flushMasks();
      const rects = (params.rects as { left: number; top: number; width: number; height: number }[] | undefined) ?? [];
      eraseLabels(
        objects,
        rects.map((r) => ({ x: r.left, y: r.top, width: r.width, height: r.height })),
      );
    }
  }
  flushMasks();
  return finish(objects, canvas, options);
}

/** Labels of another image of the job (mosaic, copy-paste), and that image's size. */
export interface PartnerLabels {
  readonly labels: ImageLabels;
  readonly width: number;
  readonly height: number;
}

/**
 * Moves objects onto a mosaic by their image's placement: points through its matrix, outlines clipped
 * to its quadrant (visibility updated), keypoints outside it invisible, masks (on `maskCanvas`, scaled
 * by `maskScale` to the image) warped nearest-neighbour into the quadrant only.
 */
function placeObjects(
  objects: readonly Tracked[],
  { matrix, rect }: Placement,
  canvas: Canvas,
  maskCanvas: Canvas,
  maskScale: readonly [number, number] = [1, 1],
): void {
  for (const o of objects) {
    if (o.dropped) continue;
    const moved = o.outline.map((polygon) => polygon.map(([x, y]) => apply(matrix, x, y)));
    const before = areaOf(moved);
    o.outline = moved.map((p) => clipToBox(p, rect)).filter((p) => p.length >= 3);
    if (before > 0) o.visible *= areaOf(o.outline) / before;
    if (o.keypoints) {
      o.keypoints = o.keypoints.map((k) => {
        if (k.v === 0) return k;
        const [x, y] = apply(matrix, k.x, k.y);
        const inside = x >= rect.x && y >= rect.y && x <= rect.x + rect.width && y <= rect.y + rect.height;
        return inside ? { x, y, v: k.v } : { x: 0, y: 0, v: 0 };
      });
    }
    if (o.mask) {
      const had = o.mask.count;
      const forward = compose(matrix, scale(maskScale[0], maskScale[1]));
      const stage: MaskStage = {
        kind: 'matrix',
        inverse: invert(forward),
        inWidth: maskCanvas.width,
        inHeight: maskCanvas.height,
      };
      o.mask = warpCrop(o.mask, [stage], maskCanvas, canvas.width, canvas.height, boundsOf(o.outline), rect);
      if (had > 0 && o.mask.count === 0) o.visible = 0;
    }
  }
}

/** A pasted object as tracked from here on: its outline (polygons, or the box of its mask), mask and keypoints on the canvas. */
function pasted(paste: Paste, index: number, curved: boolean): Tracked {
  const { object, footprint } = paste;
  const outline = paste.polygons
    ? paste.polygons.map((p) => (curved ? densify(p, DENSIFY_STEP) : p))
    : [boxCorners(footprint.region)];
  const t: Tracked = { index, source: object, outline, visible: 1 };
  if (object.mask) t.mask = footprint;
  if (object.keypoints) {
    const toCanvas = compose(paste.matrix, scale(paste.labelScale[0], paste.labelScale[1]));
    t.keypoints = object.keypoints.map((k) => {
      if (k.v === 0) return k;
      const [x, y] = apply(toCanvas, k.x, k.y);
      return { x, y, v: k.v };
    });
  }
  return t;
}

type Ring = [number, number][];

/** A polygon as a closed ring of mutable pairs (the clipping library's shape). */
const ringOf = (points: readonly Point[]): Ring => points.map(([x, y]) => [x, y]);

/** A ring without its closing point. */
const open = (ring: Ring): Point[] => {
  const [first, last] = [ring[0], ring.at(-1)];
  return first && last && first[0] === last[0] && first[1] === last[1] ? ring.slice(0, -1) : ring;
};

const overlap = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * What a paste covers is hidden: masks lose the covered pixels, outlines (polygons, or boxes as
 * polygons) lose the covered area (the paste's polygons, or its pixels as rectangles), covered visible
 * keypoints become hidden; visibility drops by the share of area lost.
 */
function occlude(objects: readonly Tracked[], paste: Paste): void {
  const foot = paste.footprint;
  let cover: Ring[][] | undefined;
  for (const o of objects) {
    if (o.dropped) continue;
    if (o.keypoints) {
      o.keypoints = o.keypoints.map((k) =>
        k.v === 2 && cropHas(foot, Math.floor(k.x), Math.floor(k.y)) ? { ...k, v: 1 } : k,
      );
    }
    if (o.mask) {
      const before = o.mask.count;
      o.mask = subtractCrop(o.mask, foot);
      if (before > 0 && o.mask.count < before) {
        o.visible *= o.mask.count / before;
        o.covered = true;
      }
      continue;
    }
    const bounds = boundsOf(o.outline);
    const before = areaOf(o.outline);
    if (bounds === undefined || before <= 0 || !overlap(bounds, foot.region)) continue;
    cover ??= paste.polygons
      ? paste.polygons.map((p) => [ringOf(p)])
      : cropRects(foot).map((r) => [ringOf(boxCorners(r))]);
    const left = difference(
      o.outline.map((p) => [ringOf(p)]),
      ...cover,
    );
    let area = 0;
    const outline: Point[][] = [];
    for (const [outer, ...holes] of left) {
      if (outer === undefined) continue;
      const shape = open(outer);
      area += polygonArea(shape) - holes.reduce((sum, h) => sum + polygonArea(open(h)), 0);
      if (shape.length >= 3) outline.push(shape);
    }
    if (area < before) o.covered = true;
    o.visible *= Math.max(0, area) / before;
    o.outline = outline;
  }
}

/** Random erasing: what it covers is hidden; boxes shrink to the part left, masks lose the pixels. */
function eraseLabels(objects: readonly Tracked[], rects: readonly Box[]): void {
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
      const before = o.mask.count;
      o.mask = eraseCrop(o.mask, rects);
      if (before > 0) o.visible *= o.mask.count / before;
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
    const box = o.mask ? (o.mask.count > 0 ? o.mask.region : undefined) : boundsOf(outline);
    if (box === undefined || o.visible <= 0) {
      drop(o, o.covered ? 'covered by pasted objects' : 'outside the image');
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
      ...(o.mask ? { mask: encodeCrop(o.mask, canvas.width, canvas.height) } : {}),
      ...(o.keypoints ? { keypoints: o.keypoints } : {}),
      ...(o.source.crowd ? { crowd: true } : {}),
    };
    kept.push(object);
  }
  return { labels: { width: canvas.width, height: canvas.height, objects: kept }, dropped };
}

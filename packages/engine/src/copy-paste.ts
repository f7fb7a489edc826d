// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing, in bounds by construction.
import { type Box, boundsOf, type ImageLabels, type LabelObject, type Point } from '@delta-augment/core';
import { apply, compose, invert, type Mat3, scale, translate } from './geometry/matrix.js';
import { cropOfRle, type MaskCrop, rasterPolygons, warpCrop } from './labels/mask.js';
import type { PastePick, RawImage } from './types.js';

export type { PastePick };

/** Labels of the image objects are pasted from, and that image's size. */
export interface PasteSource {
  readonly labels: ImageLabels;
  readonly width: number;
  readonly height: number;
}

/** One object pasted, resolved: where it comes from and how it moves onto the canvas. */
export interface Paste {
  /** Index of the object in the other image's labels. */
  readonly index: number;
  readonly object: LabelObject;
  /** From the other image's pixel coordinates to the canvas. */
  readonly matrix: Mat3;
  /** From the other image's label coordinates to its pixel coordinates. */
  readonly labelScale: readonly [number, number];
  /** The factor applied (the drawn one, lowered to fit), and the top-left corner of the pasted object's box. */
  readonly scale: number;
  readonly left: number;
  readonly top: number;
  /** The pasted object's pixels on the canvas. */
  readonly footprint: MaskCrop;
  /** Its outline on the canvas, when it has polygons. */
  readonly polygons?: Point[][];
}

/** True when an object can be pasted: it has an outline (polygon or mask) and is not a crowd. */
const pasteable = (o: LabelObject, classes: ReadonlySet<number> | undefined): boolean =>
  !o.crowd &&
  (Boolean(o.polygons?.length) || o.mask !== undefined) &&
  (classes === undefined || classes.has(o.category));

/** The object's extent in its image's label coordinates: from its polygons or mask. */
function extentOf(o: LabelObject): Box | undefined {
  if (o.polygons?.length) return boundsOf(o.polygons);
  return o.mask ? cropOfRle(o.mask).region : undefined;
}

/** Resolved pastes by effect, then by the labels they were resolved from, then by canvas sizes. */
const resolved = new WeakMap<object, WeakMap<ImageLabels, Map<string, Paste[]>>>();

/**
 * The pastes of one drawn copy-paste onto a W×H canvas: objects picked in turn among the qualifying
 * ones, scaled by their drawn factor (lowered so they fit), placed inside the canvas. A pure function of
 * its inputs, memoised per effect, so the pixels and the labels use the same pastes.
 */
export function resolvePastes(
  effect: { readonly picks: readonly PastePick[]; readonly classes?: readonly number[] },
  from: PasteSource,
  W: number,
  H: number,
): Paste[] {
  const key = `${W}x${H}:${from.width}x${from.height}`;
  let byLabels = resolved.get(effect);
  if (byLabels === undefined) {
    byLabels = new WeakMap();
    resolved.set(effect, byLabels);
  }
  let byCanvas = byLabels.get(from.labels);
  if (byCanvas === undefined) {
    byCanvas = new Map();
    byLabels.set(from.labels, byCanvas);
  }
  const known = byCanvas.get(key);
  if (known) return known;
  const classes = effect.classes && new Set(effect.classes);
  const candidates = from.labels.objects.flatMap((o, index) => (pasteable(o, classes) ? [index] : []));
  const lx = from.width / from.labels.width;
  const ly = from.height / from.labels.height;
  const pastes: Paste[] = [];
  for (const pick of effect.picks) {
    if (candidates.length === 0) break;
    const [index] = candidates.splice(Math.min(candidates.length - 1, Math.floor(pick.pick * candidates.length)), 1);
    const object = from.labels.objects[index!]!;
    const extent = extentOf(object);
    if (extent === undefined || extent.width <= 0 || extent.height <= 0) continue;
    const bx = extent.x * lx;
    const by = extent.y * ly;
    const bw = extent.width * lx;
    const bh = extent.height * ly;
    const s = Math.min(pick.scale, W / bw, H / bh);
    const left = Math.round(pick.x * Math.max(0, W - s * bw));
    const top = Math.round(pick.y * Math.max(0, H - s * bh));
    const matrix = compose(translate(left - s * bx, top - s * by), scale(s, s));
    const toCanvas = compose(matrix, scale(lx, ly));
    let footprint: MaskCrop;
    let polygons: Point[][] | undefined;
    if (object.polygons?.length) {
      polygons = object.polygons.map((p) => p.map(([x, y]) => apply(toCanvas, x, y)));
      footprint = rasterPolygons(polygons, W, H);
    } else {
      const mask = object.mask!;
      const near = { x: left, y: top, width: s * bw, height: s * bh };
      footprint = warpCrop(
        cropOfRle(mask),
        [{ kind: 'matrix', inverse: invert(toCanvas), inWidth: mask.width, inHeight: mask.height }],
        mask,
        W,
        H,
        near,
      );
    }
    if (footprint.count === 0) continue;
    pastes.push({
      index: index!,
      object,
      matrix,
      labelScale: [lx, ly],
      scale: Math.round(s * 1e4) / 1e4,
      left,
      top,
      footprint,
      ...(polygons ? { polygons } : {}),
    });
  }
  byCanvas.set(key, pastes);
  return pastes;
}

/**
 * Pastes the objects' pixels: each pixel of a paste's footprint takes the other image's colour at the
 * point it comes from (bilinear), alpha opaque. Later pastes cover earlier ones.
 */
export function pastePixels(image: RawImage, from: RawImage, pastes: readonly Paste[], owned: boolean): RawImage {
  if (pastes.length === 0) return image;
  const out = owned ? image.data : Buffer.from(image.data);
  const { width: W, channels: c } = image;
  const fc = from.channels;
  const fw = from.width;
  const fh = from.height;
  const src = from.data;
  for (const paste of pastes) {
    const m = invert(paste.matrix);
    const { region, data } = paste.footprint;
    const rh = region.height;
    for (let i = 0; i < region.width; i++) {
      const x = region.x + i;
      for (let j = 0; j < rh; j++) {
        if (data[i * rh + j] !== 1) continue;
        const y = region.y + j;
        // Pixel centres: the other image's pixel k has its centre at k + 0.5.
        const u = Math.min(fw - 1, Math.max(0, m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2] - 0.5));
        const v = Math.min(fh - 1, Math.max(0, m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5] - 0.5));
        const u0 = Math.floor(u);
        const v0 = Math.floor(v);
        const u1 = Math.min(fw - 1, u0 + 1);
        const v1 = Math.min(fh - 1, v0 + 1);
        const tu = u - u0;
        const tv = v - v0;
        const a = (v0 * fw + u0) * fc;
        const b = (v0 * fw + u1) * fc;
        const d = (v1 * fw + u0) * fc;
        const e = (v1 * fw + u1) * fc;
        const o = (y * W + x) * c;
        for (let k = 0; k < 3; k++) {
          const top = src[a + k]! + (src[b + k]! - src[a + k]!) * tu;
          const bottom = src[d + k]! + (src[e + k]! - src[d + k]!) * tu;
          out[o + k] = Math.round(top + (bottom - top) * tv);
        }
        if (c === 4) out[o + 3] = 255;
      }
    }
  }
  return { width: image.width, height: image.height, channels: c, data: out };
}

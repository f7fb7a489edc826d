// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing, in bounds by construction.
import { type Box, boundsOf, encodeRleColumns, type Rle } from '@delta-augment/core';
import type { DisplacementField } from '../effects.js';
import { apply, compose, invert, type Mat3 } from '../geometry/matrix.js';
import { displacementAt } from './field.js';

/**
 * An object's mask on a canvas, kept as the crop around its set pixels only: the rest of the canvas
 * is known to be zeros, so neither memory nor time grows with the canvas.
 */
export interface MaskCrop {
  /** The crop on the canvas (integer pixels); exactly the box around the set pixels when `count` > 0. */
  readonly region: Box;
  /** region.width × region.height, column-major (COCO's order: RLE needs no transposition), 0 or 1. */
  readonly data: Uint8Array;
  /** Set pixels. */
  readonly count: number;
}

/** One backward step of the pixels' warp, as the mask follows it. */
export type MaskStage =
  | { readonly kind: 'matrix'; readonly inverse: Mat3; readonly inWidth: number; readonly inHeight: number }
  | { readonly kind: 'displace'; readonly field: DisplacementField };

type MatrixStage = Extract<MaskStage, { kind: 'matrix' }>;

const EMPTY: MaskCrop = { region: { x: 0, y: 0, width: 0, height: 0 }, data: new Uint8Array(0), count: 0 };
/** Margin (pixels) within which a backward-mapped corner still counts as inside a canvas. */
const EDGE = 1e-6;

/** Shrinks a crop to the box around its set pixels; `count` when the caller counted them already. */
export function tighten(region: Box, data: Uint8Array, count?: number): MaskCrop {
  const { width: w, height: h } = region;
  let x0 = -1;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  let total = 0;
  for (let x = 0; x < w; x++) {
    // indexOf on the whole buffer (no view per column): a hit past the column means none in it.
    const start = x * h;
    const hit = data.indexOf(1, start);
    if (hit < 0) break;
    if (hit >= start + h) {
      x = Math.floor(hit / h) - 1;
      continue;
    }
    const first = hit - start;
    const last = data.lastIndexOf(1, start + h - 1) - start;
    if (x0 < 0) x0 = x;
    x1 = x;
    if (first < y0) y0 = first;
    if (last > y1) y1 = last;
    if (count === undefined) for (let y = first; y <= last; y++) total += data[start + y]!;
  }
  if (x0 < 0) return EMPTY;
  const n = count ?? total;
  if (x0 === 0 && y0 === 0 && x1 === w - 1 && y1 === h - 1) return { region, data, count: n };
  const tw = x1 - x0 + 1;
  const th = y1 - y0 + 1;
  const out = new Uint8Array(tw * th);
  for (let x = 0; x < tw; x++) out.set(data.subarray((x + x0) * h + y0, (x + x0) * h + y1 + 1), x * th);
  return { region: { x: region.x + x0, y: region.y + y0, width: tw, height: th }, data: out, count: n };
}

/** Decoded source masks, shared by every variant of a source (never written). */
const decoded = new WeakMap<Rle, MaskCrop>();

/**
 * Decodes COCO RLE straight into the crop around its set pixels: a first pass over the runs finds the
 * crop, a second fills it (the canvas-sized bitmap is never made).
 */
function decodeCrop(rle: Rle): MaskCrop {
  const h = rle.height;
  const total = rle.width * h;
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  let count = 0;
  let position = 0;
  for (let k = 0; k < rle.counts.length; k++) {
    const run = rle.counts[k]!;
    const end = Math.min(position + run, total);
    if (k % 2 === 1 && end > position) {
      const first = Math.floor(position / h);
      const last = Math.floor((end - 1) / h);
      x0 = Math.min(x0, first);
      x1 = Math.max(x1, last);
      y0 = Math.min(y0, last > first ? 0 : position - first * h);
      y1 = Math.max(y1, last > first ? h - 1 : end - 1 - last * h);
      count += end - position;
    }
    position += run;
  }
  if (count === 0) return EMPTY;
  const region = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  const rh = region.height;
  const data = new Uint8Array(region.width * rh);
  position = 0;
  for (let k = 0; k < rle.counts.length; k++) {
    const run = rle.counts[k]!;
    const end = Math.min(position + run, total);
    if (k % 2 === 1) {
      // Column by column: within a column, canvas position x·h + y is crop position (x − x0)·rh + y − y0.
      for (let p = position; p < end; ) {
        const x = Math.floor(p / h);
        const stop = Math.min(end, (x + 1) * h);
        const at = (x - x0) * rh - y0 - x * h;
        data.fill(1, p + at, stop + at);
        p = stop;
      }
    }
    position += run;
  }
  return { region, data, count };
}

/** The crop of a source mask, decoded once per mask object. */
export function cropOfRle(rle: Rle): MaskCrop {
  let entry = decoded.get(rle);
  if (entry === undefined) {
    entry = decodeCrop(rle);
    decoded.set(rle, entry);
  }
  return entry;
}

/** The crop as COCO RLE on a width × height canvas. */
export const encodeCrop = (crop: MaskCrop, width: number, height: number): Rle =>
  encodeRleColumns(crop.region, crop.data, width, height);

/** True when the backward image of `region` through `inverse` stays inside a w×h canvas. */
function regionInside(inverse: Mat3, region: Box, w: number, h: number): boolean {
  for (const [x, y] of [
    [region.x, region.y],
    [region.x + region.width, region.y],
    [region.x, region.y + region.height],
    [region.x + region.width, region.y + region.height],
  ] as const) {
    const q = inverse[6] * x + inverse[7] * y + inverse[8];
    if (!(q > 0)) return false;
    const [u, v] = apply(inverse, x, y);
    if (u < -EDGE || v < -EDGE || u > w + EDGE || v > h + EDGE) return false;
  }
  return true;
}

/**
 * Fuses a run of matrix stages into one when no intermediate canvas clips `region` (a canvas and a
 * projective map's image of a rectangle are convex, so its corners decide): the mask is then mapped
 * back once per pixel instead of once per stage.
 */
function fuseStages(stages: readonly MaskStage[], region: Box): readonly MaskStage[] {
  if (stages.length < 2 || stages.some((s) => s.kind !== 'matrix')) return stages;
  const matrices = stages as readonly MatrixStage[];
  let back = matrices.at(-1)!.inverse;
  for (let k = matrices.length - 2; k >= 0; k--) {
    const after = matrices[k + 1]!;
    if (!regionInside(back, region, after.inWidth, after.inHeight)) return stages;
    back = compose(matrices[k]!.inverse, back);
  }
  const first = matrices[0]!;
  return [{ kind: 'matrix', inverse: back, inWidth: first.inWidth, inHeight: first.inHeight }];
}

/** Reads the crop at canvas pixel (sx, sy) (the crop is column-major). */
const at = (crop: MaskCrop, sx: number, sy: number): number => {
  const x = sx - crop.region.x;
  const y = sy - crop.region.y;
  return x >= 0 && y >= 0 && x < crop.region.width && y < crop.region.height
    ? crop.data[x * crop.region.height + y]!
    : 0;
};

/** Nearest-neighbour samples through one projective stage over `region`, into `out` (region-sized); returns the set count. */
function sampleMatrix(crop: MaskCrop, stage: MatrixStage, region: Box, out: Uint8Array): number {
  const m = stage.inverse;
  const { inWidth, inHeight } = stage;
  const maxX = inWidth - 1;
  const maxY = inHeight - 1;
  const { x: cx, y: cy, width: cw, height: ch } = crop.region;
  const src = crop.data;
  const rh = region.height;
  let count = 0;
  for (let i = 0; i < region.width; i++) {
    const u0 = region.x + i + 0.5;
    const column = i * rh;
    for (let j = 0; j < rh; j++) {
      const v0 = region.y + j + 0.5;
      const q = m[6] * u0 + m[7] * v0 + m[8];
      if (!(q > 0)) continue;
      const u = (m[0] * u0 + m[1] * v0 + m[2]) / q;
      const v = (m[3] * u0 + m[4] * v0 + m[5]) / q;
      if (!(u >= 0 && v >= 0 && u <= inWidth && v <= inHeight)) continue;
      const sx = (u < maxX ? u | 0 : maxX) - cx;
      const sy = (v < maxY ? v | 0 : maxY) - cy;
      if (sx < 0 || sy < 0 || sx >= cw || sy >= ch) continue;
      const bit = src[sx * ch + sy]!;
      out[column + j] = bit;
      count += bit;
    }
  }
  return count;
}

/** Boundary segments of crops, computed once per crop (source masks are shared by every variant). */
const boundaries = new WeakMap<MaskCrop, Float64Array>();

/**
 * The crop's boundary: the pixel edges between a set and an unset pixel, joined along each grid line,
 * as x0, y0, x1, y1 quadruples in canvas coordinates. The set pixels are exactly the points inside
 * an odd number of times (even-odd rule), each pixel the half-open square [x, x + 1) × [y, y + 1).
 */
function boundaryOf(crop: MaskCrop): Float64Array {
  const known = boundaries.get(crop);
  if (known) return known;
  const { x: cx, y: cy, width: cw, height: ch } = crop.region;
  const d = crop.data;
  const out: number[] = [];
  // Vertical edges: between column x - 1 and column x, where they differ.
  for (let x = 0; x <= cw; x++) {
    let start = -1;
    for (let y = 0; y <= ch; y++) {
      const left = x > 0 && y < ch ? d[(x - 1) * ch + y]! : 0;
      const right = x < cw && y < ch ? d[x * ch + y]! : 0;
      if (left !== right) {
        if (start < 0) start = y;
      } else if (start >= 0) {
        out.push(cx + x, cy + start, cx + x, cy + y);
        start = -1;
      }
    }
  }
  // Horizontal edges: between row y - 1 and row y, where they differ.
  for (let y = 0; y <= ch; y++) {
    let start = -1;
    for (let x = 0; x <= cw; x++) {
      const up = y > 0 && x < cw ? d[x * ch + y - 1]! : 0;
      const down = y < ch && x < cw ? d[x * ch + y]! : 0;
      if (up !== down) {
        if (start < 0) start = x;
      } else if (start >= 0) {
        out.push(cx + start, cy + y, cx + x, cy + y);
        start = -1;
      }
    }
  }
  const edges = Float64Array.from(out);
  boundaries.set(crop, edges);
  return edges;
}

/** Crossings of the columns' centre lines, reused from warp to warp. */
let crossings = new Float64Array(1 << 12);

/**
 * The crop mapped through an affine `forward` map, nearest-neighbour, over `region` into `out`
 * (region-sized, zeroed); returns the set count. A pixel of the output is set when its centre maps
 * back into a set pixel, that is when the centre lies inside the crop's mapped boundary: each column
 * of the output is filled between the crossings of its centre line with the mapped boundary, so the
 * work grows with the outline and the columns, not with the pixels.
 */
function fillAffine(crop: MaskCrop, forward: Mat3, region: Box, out: Uint8Array): number {
  const edges = boundaryOf(crop);
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const [a, b, c, d, e, f] = forward.map((k) => k / forward[8]) as unknown as Mat3;
  // Pass 1: crossings per column (a half-open rule: an edge crosses the line X when X is in [min, max)).
  const starts = new Int32Array(rw + 1);
  const n = edges.length;
  const mapped = new Float64Array(n);
  for (let k = 0; k < n; k += 2) {
    const x = edges[k]!;
    const y = edges[k + 1]!;
    mapped[k] = a * x + b * y + c;
    mapped[k + 1] = d * x + e * y + f;
  }
  const firstColumn = (X: number): number => Math.max(0, Math.ceil(X - 0.5 - rx));
  for (let k = 0; k < n; k += 4) {
    const X0 = mapped[k]!;
    const X1 = mapped[k + 2]!;
    const i0 = firstColumn(Math.min(X0, X1));
    const i1 = Math.min(rw, firstColumn(Math.max(X0, X1)));
    for (let i = i0; i < i1; i++) starts[i + 1]!++;
  }
  for (let i = 0; i < rw; i++) starts[i + 1]! += starts[i]!;
  const total = starts[rw]!;
  if (crossings.length < total) crossings = new Float64Array(Math.max(total, crossings.length * 2));
  const fill = starts.slice(0, rw);
  // Pass 2: where each edge crosses each column's centre line.
  for (let k = 0; k < n; k += 4) {
    const X0 = mapped[k]!;
    const Y0 = mapped[k + 1]!;
    const X1 = mapped[k + 2]!;
    const Y1 = mapped[k + 3]!;
    const i0 = firstColumn(Math.min(X0, X1));
    const i1 = Math.min(rw, firstColumn(Math.max(X0, X1)));
    const slope = (Y1 - Y0) / (X1 - X0);
    for (let i = i0; i < i1; i++) crossings[fill[i]!++] = Y0 + (rx + i + 0.5 - X0) * slope;
  }
  // Pass 3: each column is set between its crossings, taken in pairs.
  let count = 0;
  for (let i = 0; i < rw; i++) {
    const from = starts[i]!;
    const to = starts[i + 1]!;
    if (to - from < 2) continue;
    // Insertion sort in place: a column crosses an outline a few times.
    for (let k = from + 1; k < to; k++) {
      const y = crossings[k]!;
      let q = k - 1;
      for (; q >= from && crossings[q]! > y; q--) crossings[q + 1] = crossings[q]!;
      crossings[q + 1] = y;
    }
    const column = i * rh;
    for (let k = from; k + 1 < to; k += 2) {
      const j0 = Math.max(0, Math.ceil(crossings[k]! - 0.5 - ry));
      const j1 = Math.min(rh, Math.ceil(crossings[k + 1]! - 0.5 - ry));
      if (j1 <= j0) continue;
      out.fill(1, column + j0, column + j1);
      count += j1 - j0;
    }
  }
  return count;
}

/** The sampling buffer, reused from warp to warp (only the tight crop is kept): no garbage per warp. */
let scratch = new Uint8Array(1 << 16);

/** `length` zeroed bytes of the sampling buffer (grown when too short). */
function scratchOf(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
  const view = scratch.subarray(0, length);
  view.fill(0);
  return view;
}

/** A crop that does not share the sampling buffer. */
const own = (crop: MaskCrop): MaskCrop =>
  crop.data.buffer === scratch.buffer ? { ...crop, data: crop.data.slice() } : crop;

/**
 * Warps a mask by the pending stages with nearest-neighbour sampling, exactly as the pixels were
 * mapped back; only the output pixels of `near` (grown by 2 px, within `clip`, by default the W×H
 * canvas) are visited.
 * `source` is the size of the canvas the mask is on.
 */
export function warpCrop(
  crop: MaskCrop,
  stages: readonly MaskStage[],
  source: { width: number; height: number },
  W: number,
  H: number,
  near: Box | undefined,
  clip: Box = { x: 0, y: 0, width: W, height: H },
): MaskCrop {
  if (near === undefined || crop.count === 0) return EMPTY;
  const x0 = Math.max(clip.x, Math.floor(near.x) - 2);
  const y0 = Math.max(clip.y, Math.floor(near.y) - 2);
  const x1 = Math.min(clip.x + clip.width, Math.ceil(near.x + near.width) + 2);
  const y1 = Math.min(clip.y + clip.height, Math.ceil(near.y + near.height) + 2);
  const region = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  const data = scratchOf(region.width * region.height);
  const fused = fuseStages(stages, region);
  if (fused.length === 1 && fused[0]!.kind === 'matrix') {
    const stage = fused[0]!;
    const m = stage.inverse;
    const count =
      Math.abs(m[6]) < 1e-12 && Math.abs(m[7]) < 1e-12
        ? fillAffine(crop, invert(m), region, data)
        : sampleMatrix(crop, stage, region, data);
    return count === 0 ? EMPTY : own(tighten(region, data, count));
  }
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      let u = x + 0.5;
      let v = y + 0.5;
      let inside = true;
      for (let k = fused.length - 1; k >= 0 && inside; k--) {
        const stage = fused[k]!;
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
      const sx = Math.min(source.width - 1, Math.floor(u));
      const sy = Math.min(source.height - 1, Math.floor(v));
      data[(x - x0) * region.height + (y - y0)] = at(crop, sx, sy);
    }
  }
  return own(tighten(region, data));
}

/** The crop with the rectangles' pixels cleared (a new crop: the input may be shared). */
export function eraseCrop(crop: MaskCrop, rects: readonly Box[]): MaskCrop {
  const { x: cx, y: cy, width: cw, height: ch } = crop.region;
  const data = crop.data.slice();
  for (const r of rects) {
    const ya = Math.max(0, Math.floor(r.y) - cy);
    const yb = Math.min(ch, Math.ceil(r.y + r.height) - cy);
    if (yb <= ya) continue;
    for (let x = Math.max(0, Math.floor(r.x) - cx); x < Math.min(cw, Math.ceil(r.x + r.width) - cx); x++) {
      data.fill(0, x * ch + ya, x * ch + yb);
    }
  }
  return tighten(crop.region, data);
}

/**
 * The pixels whose centres lie inside any of the polygons (even-odd within each polygon), as a crop
 * on a W×H canvas: how a polygon object's pixels are cut out and pasted.
 */
export function rasterPolygons(
  polygons: readonly (readonly (readonly [number, number])[])[],
  W: number,
  H: number,
): MaskCrop {
  const bounds = boundsOf(polygons);
  if (bounds === undefined) return EMPTY;
  const x0 = bounds.x;
  const y0 = bounds.y;
  const x1 = bounds.x + bounds.width;
  const y1 = bounds.y + bounds.height;
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  const right = Math.min(W, Math.ceil(x1));
  const bottom = Math.min(H, Math.ceil(y1));
  if (right <= left || bottom <= top) return EMPTY;
  const region = { x: left, y: top, width: right - left, height: bottom - top };
  const rh = region.height;
  const data = scratchOf(region.width * rh);
  const crossings: number[] = [];
  let count = 0;
  for (let y = top; y < bottom; y++) {
    const cy = y + 0.5;
    for (const p of polygons) {
      crossings.length = 0;
      for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
        const [xi, yi] = p[i]!;
        const [xj, yj] = p[j]!;
        if (yi > cy !== yj > cy) crossings.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Pixel x is inside when its centre x + 0.5 lies between the two crossings.
        const from = Math.max(left, Math.ceil(crossings[k]! - 0.5));
        const to = Math.min(right, Math.ceil(crossings[k + 1]! - 0.5));
        for (let x = from; x < to; x++) {
          const at = (x - left) * rh + (y - top);
          if (data[at] === 0) {
            data[at] = 1;
            count++;
          }
        }
      }
    }
  }
  return count === 0 ? EMPTY : own(tighten(region, data, count));
}

/** True when the crop has pixel (x, y) set. */
export const cropHas = (crop: MaskCrop, x: number, y: number): boolean => at(crop, x, y) === 1;

/** The crop without the pixels of `cover` (a new crop: the input may be shared). */
export function subtractCrop(crop: MaskCrop, cover: MaskCrop): MaskCrop {
  const { x: cx, y: cy, width: cw, height: ch } = crop.region;
  const r = cover.region;
  const xa = Math.max(cx, r.x);
  const xb = Math.min(cx + cw, r.x + r.width);
  const ya = Math.max(cy, r.y);
  const yb = Math.min(cy + ch, r.y + r.height);
  if (xb <= xa || yb <= ya || cover.count === 0) return crop;
  const data = crop.data.slice();
  for (let x = xa; x < xb; x++) {
    const mine = (x - cx) * ch - cy;
    const theirs = (x - r.x) * r.height - r.y;
    for (let y = ya; y < yb; y++) if (cover.data[theirs + y] === 1) data[mine + y] = 0;
  }
  return tighten(crop.region, data);
}

/** The crop's set pixels as rectangles: each column's runs, merged with the same run of the next columns. */
export function cropRects(crop: MaskCrop): Box[] {
  const { x: cx, y: cy, width: cw, height: ch } = crop.region;
  const done: Box[] = [];
  /** Open rectangles by their run, "y0:y1". */
  let open = new Map<string, { x: number; y0: number; y1: number }>();
  for (let x = 0; x <= cw; x++) {
    const next = new Map<string, { x: number; y0: number; y1: number }>();
    if (x < cw) {
      let y = 0;
      while (y < ch) {
        const start = crop.data.indexOf(1, x * ch + y);
        if (start < 0 || start >= (x + 1) * ch) break;
        let end = crop.data.indexOf(0, start);
        if (end < 0 || end > (x + 1) * ch) end = (x + 1) * ch;
        const y0 = start - x * ch;
        const y1 = end - x * ch;
        const key = `${y0}:${y1}`;
        next.set(key, open.get(key) ?? { x, y0, y1 });
        y = y1;
      }
    }
    for (const [key, r] of open) {
      if (!next.has(key)) done.push({ x: cx + r.x, y: cy + r.y0, width: x - r.x, height: r.y1 - r.y0 });
    }
    open = next;
  }
  return done;
}

// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing in hot loops, in bounds by construction.
import { Rng } from '../rng.js';
import type { RawImage } from '../types.js';
import { outputBuffer, withData } from './buffer.js';

type Rgb = readonly [number, number, number];

/** Blends pixel i towards `colour` by `alpha` (0–1), rounding. */
function blend(data: Uint8Array, i: number, colour: Rgb, alpha: number): void {
  data[i] = Math.round(data[i]! + (colour[0] - data[i]!) * alpha);
  data[i + 1] = Math.round(data[i + 1]! + (colour[1] - data[i + 1]!) * alpha);
  data[i + 2] = Math.round(data[i + 2]! + (colour[2] - data[i + 2]!) * alpha);
}

/** Fog lattice size: the field varies smoothly over about a sixth of the image. */
const FOG_CELLS = 6;

/**
 * Fog: every pixel is blended towards `colour` by density × f(x, y), where f is a smooth random field
 * between 0.5 and 1 (bilinear over a coarse lattice of values from `seed`).
 */
export function fog(image: RawImage, density: number, colour: Rgb, seed: number, owned: boolean): RawImage {
  const rng = Rng.fromSeed(seed);
  const cols = FOG_CELLS + 1;
  const lattice = Float64Array.from({ length: cols * cols }, () => 0.5 + 0.5 * rng.uniform(0, 1));
  const data = outputBuffer(image, owned);
  const { width: W, height: H, channels: C } = image;
  for (let y = 0; y < H; y++) {
    const fy = ((y + 0.5) / H) * FOG_CELLS;
    const y0 = Math.min(Math.floor(fy), FOG_CELLS - 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = ((x + 0.5) / W) * FOG_CELLS;
      const x0 = Math.min(Math.floor(fx), FOG_CELLS - 1);
      const tx = fx - x0;
      const a = y0 * cols + x0;
      const top = lattice[a]! + (lattice[a + 1]! - lattice[a]!) * tx;
      const bottom = lattice[a + cols]! + (lattice[a + cols + 1]! - lattice[a + cols]!) * tx;
      blend(data, (y * W + x) * C, colour, density * (top + (bottom - top) * ty));
    }
  }
  return withData(image, data);
}

/** Rain streak colour and opacity. */
const RAIN: Rgb = [200, 200, 200];
const RAIN_ALPHA = 0.7;

/**
 * Rain: the image is darkened by `brightness`, then `count` straight streaks of `length` pixels,
 * slanted by `slant` degrees from vertical, are blended over it at positions drawn from `seed`.
 */
export function rain(
  image: RawImage,
  count: number,
  length: number,
  slant: number,
  brightness: number,
  seed: number,
  owned: boolean,
): RawImage {
  const rng = Rng.fromSeed(seed);
  const data = outputBuffer(image, owned);
  const { width: W, height: H, channels: C } = image;
  const step = C;
  for (let i = 0; i < data.length; i += step) {
    data[i] = Math.round(data[i]! * brightness);
    data[i + 1] = Math.round(data[i + 1]! * brightness);
    data[i + 2] = Math.round(data[i + 2]! * brightness);
  }
  const dx = Math.sin((slant * Math.PI) / 180);
  const dy = Math.cos((slant * Math.PI) / 180);
  const painted = new Uint8Array(W * H);
  for (let d = 0; d < count; d++) {
    const x0 = rng.uniform(0, W);
    const y0 = rng.uniform(-length, H);
    for (let s = 0; s < length; s++) {
      const x = Math.floor(x0 + dx * s);
      const y = Math.floor(y0 + dy * s);
      if (x < 0 || y < 0 || x >= W || y >= H || painted[y * W + x]) continue;
      painted[y * W + x] = 1;
      blend(data, (y * W + x) * C, RAIN, RAIN_ALPHA);
    }
  }
  return withData(image, data);
}

/** Snow: `count` white flakes (discs of radius 1 to `radius` pixels, 90 % opaque) at positions from `seed`. */
export function snow(image: RawImage, count: number, radius: number, seed: number, owned: boolean): RawImage {
  const rng = Rng.fromSeed(seed);
  const data = outputBuffer(image, owned);
  const { width: W, height: H, channels: C } = image;
  const painted = new Uint8Array(W * H);
  for (let f = 0; f < count; f++) {
    const cx = rng.uniform(0, W);
    const cy = rng.uniform(0, H);
    const r = rng.uniform(1, Math.max(1, radius));
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(H - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(W - 1, Math.ceil(cx + r)); x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r || painted[y * W + x]) continue;
        painted[y * W + x] = 1;
        blend(data, (y * W + x) * C, [255, 255, 255], 0.9);
      }
    }
  }
  return withData(image, data);
}

/**
 * Sun flare: pixels are brightened towards warm white by intensity × (1 - d / radius)², d being the
 * distance to (x, y); nothing changes beyond `radius`.
 */
export function sunFlare(
  image: RawImage,
  cx: number,
  cy: number,
  radius: number,
  intensity: number,
  owned: boolean,
): RawImage {
  const data = outputBuffer(image, owned);
  const { width: W, height: H, channels: C } = image;
  const colour: Rgb = [255, 250, 220];
  for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(H - 1, Math.ceil(cy + radius)); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(W - 1, Math.ceil(cx + radius)); x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d >= radius) continue;
      const falloff = 1 - d / radius;
      blend(data, (y * W + x) * C, colour, intensity * falloff * falloff);
    }
  }
  return withData(image, data);
}

/** True when (x, y) is inside the polygon (even-odd rule). */
export function insidePolygon(polygon: readonly (readonly [number, number])[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Shadow: pixels whose centre is inside the polygon are multiplied by 1 - intensity. */
export function shadow(
  image: RawImage,
  polygon: readonly (readonly [number, number])[],
  intensity: number,
  owned: boolean,
): RawImage {
  const data = outputBuffer(image, owned);
  const { width: W, height: H, channels: C } = image;
  const keep = 1 - intensity;
  const ys = polygon.map((p) => p[1]);
  const top = Math.max(0, Math.floor(Math.min(...ys)));
  const bottom = Math.min(H - 1, Math.ceil(Math.max(...ys)));
  for (let y = top; y <= bottom; y++) {
    for (let x = 0; x < W; x++) {
      if (!insidePolygon(polygon, x + 0.5, y + 0.5)) continue;
      const i = (y * W + x) * C;
      data[i] = Math.round(data[i]! * keep);
      data[i + 1] = Math.round(data[i + 1]! * keep);
      data[i + 2] = Math.round(data[i + 2]! * keep);
    }
  }
  return withData(image, data);
}

import type { ParamValue } from '@delta-augment/core';
import sharp from 'sharp';
import { formatColour, resolveFill } from './colour.js';
import { COLOUR_DRAWERS } from './colour-operations.js';
import { DETECTION_DRAWERS } from './detection-operations.js';
import { type Draw, type DrawContext, type Drawn, draw, NO_CONTEXT, type Params, pixels } from './draw-params.js';
import type { Canvas, DrawnOperation, Effect, Fill } from './effects.js';
import { limitTime } from './encode.js';
import { drawFill, FILTER_DRAWERS } from './filter-operations.js';
import { elasticField, gridField } from './geometry/displacement.js';
import { about, compose, homography, type Mat3, rotation, scale, translate, validAreaZoom } from './geometry/matrix.js';
import type { EraseRect } from './pixels/erase.js';
import { erase } from './pixels/erase.js';
import { addNoise } from './pixels/noise.js';
import {
  applyColourMatrix,
  brightnessLut,
  contrastLut,
  equalise,
  hueMatrix,
  invertLut,
  saturationMatrix,
  threshold,
} from './pixels/point.js';
import type { Rng } from './rng.js';
import type { RawImage } from './types.js';
import { WEATHER_DRAWERS } from './weather-operations.js';

const radians = (degrees: number): number => (degrees * Math.PI) / 180;

function transform(matrix: Mat3, width: number, height: number, fill: Fill): Effect {
  return { kind: 'transform', matrix, width, height, fill };
}

/** A linear map about the centre, zoomed to the valid area in 'crop' mode. */
function centred(linear: Mat3, canvas: Canvas, mode: string, fill: Fill): { effect: Effect; zoom: number } {
  // Rounded up, so the recorded zoom still covers the frame.
  const zoom = mode === 'crop' ? Math.ceil(validAreaZoom(linear, canvas.width, canvas.height) * 1e4 - 1e-6) / 1e4 : 1;
  const matrix = about(compose(scale(zoom, zoom), linear), canvas.width / 2, canvas.height / 2);
  return { effect: transform(matrix, canvas.width, canvas.height, fill), zoom };
}

const fillParam = (value: ParamValue | undefined): string => value as string;

function quarterTurn(quarters: number, canvas: Canvas): Effect {
  const { width: w, height: h } = canvas;
  const fill: Fill = [0, 0, 0, 0];
  switch (((quarters % 4) + 4) % 4) {
    case 1:
      return transform([0, -1, h, 1, 0, 0, 0, 0, 1], h, w, fill);
    case 2:
      return transform([-1, 0, w, 0, -1, h, 0, 0, 1], w, h, fill);
    case 3:
      return transform([0, 1, 0, -1, 0, w, 0, 0, 1], h, w, fill);
    default:
      return transform([1, 0, 0, 0, 1, 0, 0, 0, 1], w, h, fill);
  }
}

/** Positions of the corners: top-left, top-right, bottom-right, bottom-left. */
type Quad = [[number, number], [number, number], [number, number], [number, number]];

const corners = ({ width: w, height: h }: Canvas): Quad => [
  [0, 0],
  [w, 0],
  [w, h],
  [0, h],
];

/** Where the corners go: a tilted side's two corners move towards each other; a pulled corner moves inwards. */
function skewCorners(kind: string, where: string, magnitude: number, canvas: Canvas): Quad {
  const { width: w, height: h } = canvas;
  const q = corners(canvas);
  const dw = (magnitude * w) / 2;
  const dh = (magnitude * h) / 2;
  if (kind !== 'corner') {
    if (where === 'top') [q[0][0], q[1][0]] = [dw, w - dw];
    if (where === 'bottom') [q[3][0], q[2][0]] = [dw, w - dw];
    if (where === 'left') [q[0][1], q[3][1]] = [dh, h - dh];
    if (where === 'right') [q[1][1], q[2][1]] = [dh, h - dh];
  } else {
    const index = ['topLeft', 'topRight', 'bottomRight', 'bottomLeft'].indexOf(where);
    const corner = q[index] as [number, number];
    corner[0] += corner[0] === 0 ? dw : -dw;
    corner[1] += corner[1] === 0 ? dh : -dh;
  }
  return q;
}

const SKEW_SIDES: Record<string, readonly string[]> = {
  tilt: ['top', 'bottom', 'left', 'right'],
  tiltLeftRight: ['left', 'right'],
  tiltTopBottom: ['top', 'bottom'],
};

function drawErase(params: Params, rng: Rng, canvas: Canvas): Drawn {
  const count = draw(params.count, rng, true);
  const rects: EraseRect[] = [];
  const recorded: Record<string, unknown>[] = [];
  const { width: W, height: H } = canvas;
  for (let i = 0; i < count; i++) {
    const area = draw(params.area, rng) * W * H;
    const aspect = draw(params.aspect, rng);
    const width = Math.max(1, Math.min(W, Math.round(Math.sqrt(area * aspect))));
    const height = Math.max(1, Math.min(H, Math.round(Math.sqrt(area / aspect))));
    const left = rng.int(0, W - width);
    const top = rng.int(0, H - height);
    const { fill, shown } = drawFill(params.fill as string, rng);
    rects.push({ left, top, width, height, fill });
    recorded.push({ left, top, width, height, fill: shown });
  }
  return { params: { rects: recorded }, effect: pixels((image, owned) => erase(image, rects, owned)) };
}

/** JPEG round trip, keeping any alpha channel as it was. */
async function jpegRoundTrip(image: RawImage, quality: number): Promise<RawImage> {
  const raw = { width: image.width, height: image.height, channels: image.channels };
  const encoded = await limitTime(sharp(image.data, { raw })).removeAlpha().jpeg({ quality }).toBuffer();
  const decoded = await limitTime(sharp(encoded)).raw().toBuffer();
  if (image.channels === 3) return { ...image, data: decoded };
  const out = Buffer.allocUnsafe(image.data.length);
  for (let i = 0, j = 0; i < out.length; i += 4, j += 3) {
    out[i] = decoded[j] as number;
    out[i + 1] = decoded[j + 1] as number;
    out[i + 2] = decoded[j + 2] as number;
    out[i + 3] = image.data[i + 3] as number;
  }
  return { ...image, data: out };
}

/** How each operation draws its parameters and what it does. */
export const DRAWERS: Readonly<Record<string, Draw>> = {
  rotate(params, rng, canvas) {
    const angle = draw(params.angle, rng);
    const mode = params.mode as string;
    const fill = resolveFill(fillParam(params.fill), canvas.hasAlpha);
    const { effect, zoom } = centred(rotation(radians(angle)), canvas, mode, fill);
    const recorded: Record<string, unknown> = { angle, mode };
    if (mode === 'crop') recorded.zoom = zoom;
    else recorded.fill = formatColour(fill);
    return { params: recorded, effect };
  },
  rotate90: (_p, _r, canvas) => ({ params: { angle: 90 }, effect: quarterTurn(1, canvas) }),
  rotate180: (_p, _r, canvas) => ({ params: { angle: 180 }, effect: quarterTurn(2, canvas) }),
  rotate270: (_p, _r, canvas) => ({ params: { angle: 270 }, effect: quarterTurn(3, canvas) }),
  rotateRandom90(_p, rng, canvas) {
    const quarters = rng.int(1, 3);
    return { params: { angle: quarters * 90 }, effect: quarterTurn(quarters, canvas) };
  },
  flip(params, rng, canvas) {
    let direction = params.direction as string;
    if (direction === 'random') direction = rng.chance(0.5) ? 'horizontal' : 'vertical';
    const { width: w, height: h } = canvas;
    const matrix: Mat3 = direction === 'horizontal' ? [-1, 0, w, 0, 1, 0, 0, 0, 1] : [1, 0, 0, 0, -1, h, 0, 0, 1];
    return { params: { direction }, effect: transform(matrix, w, h, [0, 0, 0, 0]) };
  },
  zoom(params, rng, canvas) {
    const factor = draw(params.factor, rng);
    const fill = resolveFill(fillParam(params.fill), canvas.hasAlpha);
    const matrix = about(scale(factor, factor), canvas.width / 2, canvas.height / 2);
    const recorded: Record<string, unknown> = { factor };
    if (factor < 1) recorded.fill = formatColour(fill);
    return { params: recorded, effect: transform(matrix, canvas.width, canvas.height, fill) };
  },
  crop(params, rng, canvas) {
    const { width: W, height: H } = canvas;
    let width: number;
    let height: number;
    let area: number | undefined;
    if (params.area !== undefined) {
      area = draw(params.area, rng);
      width = Math.max(1, Math.min(W, Math.round(W * Math.sqrt(area))));
      height = Math.max(1, Math.min(H, Math.round(H * Math.sqrt(area))));
    } else {
      width = Math.min(W, params.width as number);
      height = Math.min(H, params.height as number);
    }
    const random = params.position === 'random';
    const left = random ? rng.int(0, W - width) : Math.floor((W - width) / 2);
    const top = random ? rng.int(0, H - height) : Math.floor((H - height) / 2);
    const resize = params.resize === true;
    const shift = translate(-left, -top);
    const effect = resize
      ? transform(compose(scale(W / width, H / height), shift), W, H, [0, 0, 0, 0])
      : transform(shift, width, height, [0, 0, 0, 0]);
    const recorded: Record<string, unknown> = { left, top, width, height, resize };
    if (area !== undefined) recorded.area = area;
    return { params: recorded, effect };
  },
  resize(params, _rng, canvas) {
    const { width: W, height: H } = canvas;
    const width = (params.width as number | undefined) ?? Math.max(1, Math.round((W * (params.height as number)) / H));
    const height = (params.height as number | undefined) ?? Math.max(1, Math.round((H * width) / W));
    return { params: { width, height }, effect: transform(scale(width / W, height / H), width, height, [0, 0, 0, 0]) };
  },
  scale(params, rng, canvas) {
    const factor = draw(params.factor, rng);
    const width = Math.max(1, Math.round(canvas.width * factor));
    const height = Math.max(1, Math.round(canvas.height * factor));
    const matrix = scale(width / canvas.width, height / canvas.height);
    return { params: { factor, width, height }, effect: transform(matrix, width, height, [0, 0, 0, 0]) };
  },
  shear(params, rng, canvas) {
    const x = draw(params.x, rng);
    let y = draw(params.y, rng);
    const tx = Math.tan(radians(x));
    // Both shears near 45° would fold the image flat: drop the vertical one then.
    if (Math.abs(1 - tx * Math.tan(radians(y))) < 0.1) y = 0;
    const linear: Mat3 = [1, tx, 0, Math.tan(radians(y)), 1, 0, 0, 0, 1];
    const mode = params.mode as string;
    const fill = resolveFill(fillParam(params.fill), canvas.hasAlpha);
    const { effect, zoom } = centred(linear, canvas, mode, fill);
    const recorded: Record<string, unknown> = { x, y, mode };
    if (mode === 'crop') recorded.zoom = zoom;
    else recorded.fill = formatColour(fill);
    return { params: recorded, effect };
  },
  skew(params, rng, canvas) {
    let kind = params.type as string;
    if (kind === 'random') kind = rng.pick(['tilt', 'corner']);
    const where =
      kind === 'corner'
        ? rng.pick(['topLeft', 'topRight', 'bottomRight', 'bottomLeft'])
        : rng.pick(SKEW_SIDES[kind] ?? []);
    const magnitude = draw(params.magnitude, rng);
    const fill = resolveFill(fillParam(params.fill), canvas.hasAlpha);
    const from = corners(canvas);
    const to = skewCorners(kind, where, magnitude, canvas);
    const recorded = {
      type: kind === 'corner' ? 'corner' : 'tilt',
      [kind === 'corner' ? 'corner' : 'side']: where,
      magnitude,
      fill: formatColour(fill),
    };
    return { params: recorded, effect: transform(homography(from, to), canvas.width, canvas.height, fill) };
  },
  gridDistort(params, rng) {
    const gridWidth = params.gridWidth as number;
    const gridHeight = params.gridHeight as number;
    const magnitude = draw(params.magnitude, rng);
    const seed = rng.nextUint32();
    return {
      params: { gridWidth, gridHeight, magnitude, seed },
      effect: {
        kind: 'displace',
        fill: [0, 0, 0, 0],
        build: (c) => gridField(c.width, c.height, gridWidth, gridHeight, magnitude, seed),
      },
    };
  },
  elasticDistort(params, rng) {
    const magnitude = draw(params.magnitude, rng);
    const spacing = draw(params.scale, rng);
    const seed = rng.nextUint32();
    return {
      params: { magnitude, scale: spacing, seed },
      effect: {
        kind: 'displace',
        fill: [0, 0, 0, 0],
        build: (c) => elasticField(c.width, c.height, magnitude, spacing, seed),
      },
    };
  },
  brightness(params, rng) {
    const factor = draw(params.factor, rng);
    return { params: { factor }, effect: { kind: 'lut', lut: brightnessLut(factor) } };
  },
  contrast(params, rng) {
    const factor = draw(params.factor, rng);
    return { params: { factor }, effect: { kind: 'lut', lut: contrastLut(factor) } };
  },
  saturation(params, rng) {
    const factor = draw(params.factor, rng);
    const matrix = saturationMatrix(factor);
    return { params: { factor }, effect: pixels((image, owned) => applyColourMatrix(image, matrix, owned)) };
  },
  hue(params, rng) {
    const degrees = draw(params.degrees, rng);
    const matrix = hueMatrix(degrees);
    return { params: { degrees }, effect: pixels((image, owned) => applyColourMatrix(image, matrix, owned)) };
  },
  greyscale() {
    const matrix = saturationMatrix(0);
    return { params: {}, effect: pixels((image, owned) => applyColourMatrix(image, matrix, owned)) };
  },
  invert: () => ({ params: {}, effect: { kind: 'lut', lut: invertLut() } }),
  threshold(params, rng) {
    const level = draw(params.level, rng, true);
    return { params: { level }, effect: pixels((image, owned) => threshold(image, level, owned)) };
  },
  equalise: () => ({ params: {}, effect: pixels((image, owned) => equalise(image, owned)) }),
  noise(params, rng) {
    const sigma = draw(params.sigma, rng);
    const mono = params.mono === true;
    const seed = rng.nextUint32();
    return {
      params: { sigma, mono, seed },
      effect: pixels((image, owned) => addNoise(image, sigma, mono, seed, owned)),
    };
  },
  blur(params, rng) {
    const sigma = draw(params.sigma, rng);
    return { params: { sigma }, effect: { kind: 'sharp', rank: 1, apply: (s) => s.blur(sigma) } };
  },
  sharpen(params, rng) {
    const sigma = draw(params.sigma, rng);
    return { params: { sigma }, effect: { kind: 'sharp', rank: 2, apply: (s) => s.sharpen({ sigma }) } };
  },
  jpeg(params, rng) {
    const quality = draw(params.quality, rng, true);
    return { params: { quality }, effect: { kind: 'async', run: (image) => jpegRoundTrip(image, quality) } };
  },
  erase: drawErase,
  ...COLOUR_DRAWERS,
  ...FILTER_DRAWERS,
  ...WEATHER_DRAWERS,
  ...DETECTION_DRAWERS,
};

/** Draws one operation step that passed its probability. */
export function drawOperation(
  op: string,
  params: Params,
  rng: Rng,
  canvas: Canvas,
  context: DrawContext = NO_CONTEXT,
): DrawnOperation {
  const drawer = DRAWERS[op];
  if (drawer === undefined) throw new Error(`no drawer for operation ${op}`);
  const drawn = drawer(params, rng, canvas, context);
  return { op, params: drawn.params, effect: drawn.effect };
}

/** The canvas after an effect. */
export function canvasAfter(canvas: Canvas, effect: Effect): Canvas {
  return effect.kind === 'transform' ? { ...canvas, width: effect.width, height: effect.height } : canvas;
}

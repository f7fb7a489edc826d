import { type Draw, draw, pixels } from './draw-params.js';
import { sharpRaw } from './encode.js';
import {
  applyColourMatrix,
  applyLut,
  brightnessLut,
  composeLuts,
  contrastLut,
  hueMatrix,
  saturationMatrix,
} from './pixels/point.js';
import {
  applyChannelLuts,
  gammaLut,
  multiply3,
  posterizeLut,
  shiftLuts,
  shuffleChannels,
  solarizeLut,
} from './pixels/tone.js';
import type { RawImage } from './types.js';

/** Every order of the three colour channels but the identity. */
const PERMUTATIONS: readonly (readonly [number, number, number])[] = [
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

/** CLAHE through sharp (libvips hist_local on the lightness), keeping any alpha as it was. */
async function clahe(image: RawImage, tiles: number, maxSlope: number): Promise<RawImage> {
  const width = Math.max(1, Math.ceil(image.width / tiles));
  const height = Math.max(1, Math.ceil(image.height / tiles));
  const data = await sharpRaw(image).clahe({ width, height, maxSlope }).ensureAlpha().raw().toBuffer();
  if (image.channels === 4) {
    for (let i = 3; i < data.length; i += 4) data[i] = image.data[i] as number;
    return { ...image, data };
  }
  const rgb = Buffer.allocUnsafe(image.width * image.height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i] as number;
    rgb[j + 1] = data[i + 1] as number;
    rgb[j + 2] = data[i + 2] as number;
  }
  return { ...image, data: rgb };
}

/** Colour operations: tone curves, channel changes and contrast equalisation. */
export const COLOUR_DRAWERS: Readonly<Record<string, Draw>> = {
  colourJitter(params, rng) {
    const brightness = draw(params.brightness, rng);
    const contrast = draw(params.contrast, rng);
    const saturation = draw(params.saturation, rng);
    const hue = draw(params.hue, rng);
    // Brightness then contrast as one table; saturation then hue as one matrix.
    const table = composeLuts(brightnessLut(brightness), contrastLut(contrast));
    const matrix = multiply3(hueMatrix(hue), saturationMatrix(saturation));
    return {
      params: { brightness, contrast, saturation, hue },
      effect: pixels((image, owned) => applyColourMatrix(applyLut(image, table, owned), matrix, true)),
    };
  },
  gamma(params, rng) {
    const gamma = draw(params.gamma, rng);
    return { params: { gamma }, effect: { kind: 'lut', lut: gammaLut(gamma) } };
  },
  clahe(params, rng) {
    const tiles = draw(params.tiles, rng, true);
    const maxSlope = draw(params.maxSlope, rng, true);
    return { params: { tiles, maxSlope }, effect: { kind: 'async', run: (image) => clahe(image, tiles, maxSlope) } };
  },
  rgbShift(params, rng) {
    const r = draw(params.r, rng, true);
    const g = draw(params.g, rng, true);
    const b = draw(params.b, rng, true);
    const tables = shiftLuts([r, g, b]);
    return { params: { r, g, b }, effect: pixels((image, owned) => applyChannelLuts(image, tables, owned)) };
  },
  channelShuffle(_params, rng) {
    const order = rng.pick(PERMUTATIONS);
    const names = order.map((c) => 'rgb'[c]).join('');
    return { params: { order: names }, effect: pixels((image, owned) => shuffleChannels(image, order, owned)) };
  },
  posterize(params, rng) {
    const bits = draw(params.bits, rng, true);
    return { params: { bits }, effect: { kind: 'lut', lut: posterizeLut(bits) } };
  },
  solarize(params, rng) {
    const threshold = draw(params.threshold, rng, true);
    return { params: { threshold }, effect: { kind: 'lut', lut: solarizeLut(threshold) } };
  },
};

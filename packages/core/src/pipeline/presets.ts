/**
 * Named pipelines. `delta-classic` is exactly the seed paper's Augmentor pipeline: rotate p0.7 within
 * ±20° (cropped to the valid area), rotate90 p0.2, rotate270 p0.3, flip left-right p0.8, flip
 * top-bottom p0.3, zoom p0.7 by 1.1–1.2.
 */
export const PRESETS: Readonly<Record<string, unknown>> = {
  'delta-classic': {
    name: 'delta-classic',
    description: "The seed paper's pipeline.",
    steps: [
      { op: 'rotate', probability: 0.7, angle: [-20, 20], mode: 'crop' },
      { op: 'rotate90', probability: 0.2 },
      { op: 'rotate270', probability: 0.3 },
      { op: 'flip', probability: 0.8, direction: 'horizontal' },
      { op: 'flip', probability: 0.3, direction: 'vertical' },
      { op: 'zoom', probability: 0.7, factor: [1.1, 1.2] },
    ],
  },
  light: {
    name: 'light',
    description: 'Small rotations and flips, gentle light changes: safe for most datasets.',
    steps: [
      { op: 'rotate', probability: 0.5, angle: [-10, 10] },
      { op: 'flip', probability: 0.5, direction: 'horizontal' },
      { op: 'zoom', probability: 0.3, factor: [1.05, 1.15] },
      { op: 'brightness', probability: 0.3, factor: [0.9, 1.1] },
      { op: 'contrast', probability: 0.3, factor: [0.9, 1.1] },
    ],
  },
  heavy: {
    name: 'heavy',
    description: 'Strong geometric and photometric changes, distortions, noise and cutout.',
    steps: [
      { op: 'rotate', probability: 0.7, angle: [-30, 30] },
      { op: 'flip', probability: 0.5, direction: 'random' },
      {
        oneOf: [
          { op: 'shear', x: [-15, 15], y: [-5, 5] },
          { op: 'skew', type: 'random', magnitude: [0.05, 0.2] },
          { op: 'gridDistort', gridWidth: 4, gridHeight: 4, magnitude: [0.05, 0.2] },
          { op: 'elasticDistort', magnitude: [0.01, 0.03], scale: 0.1 },
        ],
        probability: 0.5,
      },
      { op: 'zoom', probability: 0.5, factor: [1, 1.3] },
      {
        someOf: [
          { op: 'brightness', factor: [0.6, 1.4] },
          { op: 'contrast', factor: [0.6, 1.4] },
          { op: 'saturation', factor: [0.5, 1.5] },
          { op: 'hue', degrees: [-30, 30] },
        ],
        count: [1, 3],
        probability: 0.8,
      },
      {
        oneOf: [
          { op: 'blur', sigma: [0.5, 2] },
          { op: 'sharpen', sigma: [0.5, 1.5] },
          { op: 'noise', sigma: [5, 25] },
        ],
        probability: 0.4,
      },
      { op: 'jpeg', probability: 0.2, quality: [30, 80] },
      { op: 'erase', probability: 0.3, area: [0.02, 0.15] },
    ],
  },
  geometric: {
    name: 'geometric',
    description: 'Geometry only: rotations, flips, zoom, shear, perspective and crops; colours untouched.',
    steps: [
      { op: 'rotate', probability: 0.7, angle: [-25, 25] },
      { op: 'rotateRandom90', probability: 0.3 },
      { op: 'flip', probability: 0.5, direction: 'random' },
      { op: 'zoom', probability: 0.5, factor: [1, 1.3] },
      {
        oneOf: [
          { op: 'shear', x: [-15, 15], y: [-15, 15] },
          { op: 'skew', type: 'tilt', magnitude: [0.1, 0.25] },
        ],
        probability: 0.4,
      },
      { op: 'crop', probability: 0.3, area: [0.7, 0.95], resize: true },
    ],
  },
  colour: {
    name: 'colour',
    description: 'Photometric only: brightness, contrast, saturation, hue; sometimes grey or equalised.',
    steps: [
      { op: 'brightness', probability: 0.5, factor: [0.7, 1.3] },
      { op: 'contrast', probability: 0.5, factor: [0.7, 1.3] },
      { op: 'saturation', probability: 0.5, factor: [0.6, 1.4] },
      { op: 'hue', probability: 0.5, degrees: [-15, 15] },
      { oneOf: [{ op: 'greyscale' }, { op: 'equalise' }], probability: 0.1 },
    ],
  },
};

/** The preset used when a job names neither a preset nor a spec. */
export const DEFAULT_PRESET = 'delta-classic';

/** How one operation parameter is written in a spec. */
export type ParamDef =
  | {
      /** A number or a `[min, max]` pair; a value is drawn uniformly from it per variant. */
      readonly type: 'range';
      readonly min: number;
      readonly max: number;
      readonly default?: number | readonly [number, number];
      readonly integer?: boolean;
      readonly description: string;
    }
  | {
      readonly type: 'int';
      readonly min: number;
      readonly max: number;
      readonly default?: number;
      readonly description: string;
    }
  | {
      readonly type: 'enum';
      readonly values: readonly string[];
      readonly default: string;
      readonly description: string;
    }
  | {
      /** '#rgb', '#rrggbb', '#rrggbbaa' or one of `keywords`. */
      readonly type: 'colour';
      readonly keywords: readonly string[];
      readonly default: string;
      readonly description: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly description: string };

/** The spec-level definition of one operation. */
export interface OperationDef {
  readonly description: string;
  readonly params: Readonly<Record<string, ParamDef>>;
}

const fill: ParamDef = {
  type: 'colour',
  keywords: ['auto'],
  default: 'auto',
  description: "Colour of uncovered areas: '#rrggbb[aa]', or 'auto' (black, transparent if the image has alpha).",
};
const geometricMode: ParamDef = {
  type: 'enum',
  values: ['crop', 'fill'],
  default: 'crop',
  description:
    "'crop': zoom in just enough that no uncovered area shows; 'fill': keep the size and paint uncovered areas.",
};

/** Every operation a spec may name, with its parameters. The JSON Schema and the validator are built from this. */
export const OPERATIONS: Readonly<Record<string, OperationDef>> = {
  rotate: {
    description: 'Rotate about the centre by an angle drawn from `angle` (degrees, positive is clockwise).',
    params: {
      angle: { type: 'range', min: -180, max: 180, default: [-15, 15], description: 'Degrees, positive clockwise.' },
      mode: geometricMode,
      fill,
    },
  },
  rotate90: { description: 'Rotate 90° clockwise (width and height swap).', params: {} },
  rotate180: { description: 'Rotate 180°.', params: {} },
  rotate270: { description: 'Rotate 270° clockwise (90° anticlockwise).', params: {} },
  rotateRandom90: { description: 'Rotate by 90°, 180° or 270°, drawn uniformly.', params: {} },
  flip: {
    description: 'Mirror the image.',
    params: {
      direction: {
        type: 'enum',
        values: ['horizontal', 'vertical', 'random'],
        default: 'horizontal',
        description: "'horizontal' mirrors left-right, 'vertical' top-bottom, 'random' one of them.",
      },
    },
  },
  zoom: {
    description: 'Scale about the centre, keeping the size: factors above 1 zoom in (crop), below 1 zoom out (fill).',
    params: {
      factor: { type: 'range', min: 0.1, max: 10, default: [1.1, 1.5], description: 'Zoom factor.' },
      fill,
    },
  },
  crop: {
    description:
      'Cut out a region, by pixel size (`width` and `height`) or by `area` fraction (keeping the aspect ratio).',
    params: {
      position: { type: 'enum', values: ['random', 'centre'], default: 'random', description: 'Where the region is.' },
      width: { type: 'int', min: 1, max: 65535, description: 'Region width in pixels (with `height`).' },
      height: { type: 'int', min: 1, max: 65535, description: 'Region height in pixels (with `width`).' },
      area: {
        type: 'range',
        min: 0.01,
        max: 1,
        description: 'Region area as a fraction of the image (default 0.5–0.9).',
      },
      resize: { type: 'boolean', default: false, description: 'Scale the region back to the size before the crop.' },
    },
  },
  resize: {
    description: 'Resize to `width` × `height` pixels; give one of them to keep the aspect ratio.',
    params: {
      width: { type: 'int', min: 1, max: 16384, description: 'Width in pixels.' },
      height: { type: 'int', min: 1, max: 16384, description: 'Height in pixels.' },
    },
  },
  scale: {
    description: 'Resize both sides by a factor drawn from `factor`.',
    params: { factor: { type: 'range', min: 0.05, max: 4, default: [0.5, 1.5], description: 'Scale factor.' } },
  },
  shear: {
    description: 'Shear about the centre by angles drawn from `x` and `y` (degrees).',
    params: {
      x: { type: 'range', min: -60, max: 60, default: [-10, 10], description: 'Horizontal shear angle, degrees.' },
      y: { type: 'range', min: -60, max: 60, default: 0, description: 'Vertical shear angle, degrees.' },
      mode: geometricMode,
      fill,
    },
  },
  skew: {
    description: 'Perspective skew: tilt one side away, or pull one corner in, by `magnitude` of the side length.',
    params: {
      type: {
        type: 'enum',
        values: ['tilt', 'tiltLeftRight', 'tiltTopBottom', 'corner', 'random'],
        default: 'tilt',
        description:
          "'tilt' any side, 'tiltLeftRight' the left or right side, 'tiltTopBottom' the top or bottom, 'corner' one corner, 'random' any of these.",
      },
      magnitude: { type: 'range', min: 0, max: 0.9, default: [0.1, 0.3], description: 'Fraction of the side length.' },
      fill,
    },
  },
  gridDistort: {
    description: 'Move the inner vertices of a grid randomly and warp the image with them (piecewise bilinear).',
    params: {
      gridWidth: { type: 'int', min: 1, max: 32, default: 4, description: 'Columns of the grid.' },
      gridHeight: { type: 'int', min: 1, max: 32, default: 4, description: 'Rows of the grid.' },
      magnitude: {
        type: 'range',
        min: 0,
        max: 0.45,
        default: [0, 0.2],
        description: 'Largest vertex displacement, as a fraction of a cell.',
      },
    },
  },
  elasticDistort: {
    description: 'Elastic distortion: a smooth random displacement field (cubic B-spline over random control vectors).',
    params: {
      magnitude: {
        type: 'range',
        min: 0,
        max: 0.25,
        default: 0.03,
        description: 'Largest displacement, as a fraction of the shorter side.',
      },
      scale: {
        type: 'range',
        min: 0.02,
        max: 1,
        default: 0.1,
        description: 'Spacing of the control vectors, as a fraction of the shorter side (larger is smoother).',
      },
    },
  },
  brightness: {
    description: 'Multiply every colour channel by a factor.',
    params: { factor: { type: 'range', min: 0, max: 10, default: [0.8, 1.2], description: 'Brightness factor.' } },
  },
  contrast: {
    description: 'Scale each colour channel about mid-grey (128) by a factor.',
    params: { factor: { type: 'range', min: 0, max: 10, default: [0.8, 1.2], description: 'Contrast factor.' } },
  },
  saturation: {
    description: 'Scale the saturation by a factor (0 is greyscale).',
    params: { factor: { type: 'range', min: 0, max: 10, default: [0.7, 1.3], description: 'Saturation factor.' } },
  },
  hue: {
    description: 'Rotate the hue by an angle (degrees).',
    params: { degrees: { type: 'range', min: -180, max: 180, default: [-20, 20], description: 'Hue shift, degrees.' } },
  },
  greyscale: { description: 'Convert to grey (Rec. 709 luma).', params: {} },
  invert: { description: 'Invert the colour channels (negative).', params: {} },
  threshold: {
    description: 'Black and white: pixels whose luma is at least `level` become white, the others black.',
    params: {
      level: { type: 'range', min: 0, max: 255, default: 128, integer: true, description: 'Luma level, 0–255.' },
    },
  },
  equalise: { description: 'Histogram equalisation of each colour channel.', params: {} },
  noise: {
    description: 'Add gaussian noise with a standard deviation drawn from `sigma` (0–255 scale).',
    params: {
      sigma: { type: 'range', min: 0, max: 128, default: [5, 20], description: 'Standard deviation, 0–255 scale.' },
      mono: { type: 'boolean', default: false, description: 'The same noise on every channel of a pixel.' },
    },
  },
  blur: {
    description: 'Gaussian blur with a sigma drawn from `sigma` (pixels).',
    params: { sigma: { type: 'range', min: 0.3, max: 50, default: [0.5, 1.5], description: 'Sigma in pixels.' } },
  },
  sharpen: {
    description: 'Unsharp-mask sharpening with a sigma drawn from `sigma` (pixels).',
    params: { sigma: { type: 'range', min: 0.3, max: 10, default: [0.5, 1.5], description: 'Sigma in pixels.' } },
  },
  jpeg: {
    description: 'Degrade by a JPEG round trip at a quality drawn from `quality`.',
    params: {
      quality: { type: 'range', min: 1, max: 100, default: [30, 70], integer: true, description: 'JPEG quality.' },
    },
  },
  erase: {
    description: 'Random erasing (cutout): paint `count` rectangles of `area` fraction and `aspect` ratio.',
    params: {
      count: { type: 'range', min: 1, max: 16, default: 1, integer: true, description: 'Number of rectangles.' },
      area: {
        type: 'range',
        min: 0.001,
        max: 1,
        default: [0.02, 0.2],
        description: 'Area of each, fraction of the image.',
      },
      aspect: { type: 'range', min: 0.05, max: 20, default: [0.3, 3.3], description: 'Width / height of each.' },
      fill: {
        type: 'colour',
        keywords: ['random', 'noise'],
        default: 'random',
        description: "'#rrggbb[aa]', 'random' (one random colour per rectangle) or 'noise' (random pixels).",
      },
    },
  },
};

/** Names of every operation, in catalogue order. */
export const OPERATION_NAMES: readonly string[] = Object.keys(OPERATIONS);

/** Spec bounds. */
export const SPEC_LIMITS = {
  /** Most steps in a spec, counting groups and every nested step. */
  maxSteps: 64,
  /** Deepest nesting: top-level steps are depth 1. */
  maxDepth: 4,
  /** Most steps in one group. */
  maxGroupSize: 32,
  maxNameLength: 100,
  maxDescriptionLength: 1000,
} as const;

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;

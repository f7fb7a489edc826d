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
  | { readonly type: 'boolean'; readonly default: boolean; readonly description: string }
  | {
      /** A string matching `pattern` (a regular expression over the whole string). */
      readonly type: 'text';
      readonly pattern: string;
      readonly maxLength: number;
      /** What a valid value looks like, for error messages. */
      readonly expected: string;
      readonly default: string;
      readonly description: string;
    };

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
  colourJitter: {
    description:
      'Brightness, contrast, saturation and hue changed together (brightness and contrast, then saturation and hue).',
    params: {
      brightness: { type: 'range', min: 0, max: 10, default: [0.8, 1.2], description: 'Brightness factor.' },
      contrast: { type: 'range', min: 0, max: 10, default: [0.8, 1.2], description: 'Contrast factor about mid-grey.' },
      saturation: {
        type: 'range',
        min: 0,
        max: 10,
        default: [0.8, 1.2],
        description: 'Saturation factor (0 is grey).',
      },
      hue: { type: 'range', min: -180, max: 180, default: [-10, 10], description: 'Hue shift, degrees.' },
    },
  },
  gamma: {
    description: 'Gamma curve: v′ = 255·(v/255)^gamma (above 1 darkens the mid-tones, below 1 lightens them).',
    params: { gamma: { type: 'range', min: 0.1, max: 10, default: [0.7, 1.5], description: 'Exponent.' } },
  },
  clahe: {
    description: 'Contrast-limited adaptive histogram equalisation (CLAHE) of the lightness, over a grid of tiles.',
    params: {
      tiles: { type: 'range', min: 1, max: 64, default: 8, integer: true, description: 'Tiles across each side.' },
      maxSlope: {
        type: 'range',
        min: 1,
        max: 100,
        default: [2, 4],
        integer: true,
        description: 'Contrast limit: the steepest the local mapping may be (1 changes nothing).',
      },
    },
  },
  rgbShift: {
    description: 'Add a constant to each colour channel (clamped to 0–255).',
    params: {
      r: { type: 'range', min: -255, max: 255, default: [-20, 20], integer: true, description: 'Red shift.' },
      g: { type: 'range', min: -255, max: 255, default: [-20, 20], integer: true, description: 'Green shift.' },
      b: { type: 'range', min: -255, max: 255, default: [-20, 20], integer: true, description: 'Blue shift.' },
    },
  },
  channelShuffle: {
    description: 'Reorder the red, green and blue channels (a random non-identity order).',
    params: {},
  },
  posterize: {
    description: 'Keep the top `bits` bits of each channel (2^bits levels).',
    params: { bits: { type: 'range', min: 1, max: 8, default: [3, 5], integer: true, description: 'Bits kept.' } },
  },
  solarize: {
    description: 'Invert every channel value at or above `threshold`.',
    params: {
      threshold: { type: 'range', min: 0, max: 256, default: 128, integer: true, description: 'Level, 0–256.' },
    },
  },
  motionBlur: {
    description: 'Blur along a straight line of `size` pixels at `angle` degrees (camera or subject motion).',
    params: {
      size: { type: 'range', min: 3, max: 63, default: [5, 15], integer: true, description: 'Line length (odd).' },
      angle: {
        type: 'range',
        min: -180,
        max: 180,
        default: [-180, 180],
        description: 'Degrees from horizontal, clockwise.',
      },
    },
  },
  medianBlur: {
    description: 'Median filter over a `size` × `size` square (removes speckle, keeps edges).',
    params: {
      size: { type: 'range', min: 3, max: 15, default: [3, 5], integer: true, description: 'Window size (odd).' },
    },
  },
  isoNoise: {
    description:
      'Camera sensor noise: luminance noise shared by the channels of a pixel plus colour noise per channel.',
    params: {
      luminance: {
        type: 'range',
        min: 0,
        max: 64,
        default: [3, 10],
        description: 'Luminance standard deviation, 0–255 scale.',
      },
      colour: {
        type: 'range',
        min: 0,
        max: 64,
        default: [1, 5],
        description: 'Per-channel standard deviation, 0–255 scale.',
      },
    },
  },
  downscale: {
    description: 'Lose resolution: shrink by `factor` (filtered), then enlarge back to the same size.',
    params: {
      factor: { type: 'range', min: 0.05, max: 1, default: [0.25, 0.5], description: 'Intermediate scale.' },
      interpolation: {
        type: 'enum',
        values: ['nearest', 'linear', 'cubic'],
        default: 'nearest',
        description: 'How the image is enlarged back.',
      },
    },
  },
  coarseDropout: {
    description: 'Cut out `holes` rectangles, each side a `size` fraction of the image side.',
    params: {
      holes: { type: 'range', min: 1, max: 64, default: [1, 8], integer: true, description: 'Number of holes.' },
      size: {
        type: 'range',
        min: 0.01,
        max: 1,
        default: [0.05, 0.15],
        description: 'Side of a hole, fraction of the image side.',
      },
      fill: {
        type: 'colour',
        keywords: ['random', 'noise'],
        default: '#000000',
        description: "'#rrggbb[aa]', 'random' (a colour per hole) or 'noise' (random pixels).",
      },
    },
  },
  gridDropout: {
    description: 'Cut out a square from every cell of a regular grid (shifted by a random offset).',
    params: {
      cells: {
        type: 'range',
        min: 2,
        max: 64,
        default: [4, 10],
        integer: true,
        description: 'Cells along the shorter side.',
      },
      ratio: {
        type: 'range',
        min: 0.05,
        max: 0.95,
        default: 0.5,
        description: 'Side of the hole, fraction of the cell.',
      },
      fill: {
        type: 'colour',
        keywords: ['random', 'noise'],
        default: '#000000',
        description: "'#rrggbb[aa]', 'random' (one random colour) or 'noise' (random pixels).",
      },
    },
  },
  fog: {
    description: 'Blend towards a fog colour by `density`, unevenly (a smooth random field).',
    params: {
      density: { type: 'range', min: 0, max: 1, default: [0.3, 0.6], description: 'Largest blend, 0–1.' },
      colour: { type: 'colour', keywords: [], default: '#dcdcdc', description: "Fog colour, '#rrggbb'." },
    },
  },
  rain: {
    description: 'Darken the image and draw slanted rain streaks.',
    params: {
      drops: {
        type: 'range',
        min: 1,
        max: 5000,
        default: [100, 400],
        integer: true,
        description: 'Number of streaks.',
      },
      length: {
        type: 'range',
        min: 0.005,
        max: 0.5,
        default: [0.02, 0.05],
        description: 'Streak length, fraction of the height.',
      },
      slant: { type: 'range', min: -60, max: 60, default: [-15, 15], description: 'Degrees from vertical.' },
      brightness: {
        type: 'range',
        min: 0.1,
        max: 1,
        default: [0.7, 0.9],
        description: 'Darkening factor under the rain.',
      },
    },
  },
  snow: {
    description: 'Draw white snowflakes (small discs).',
    params: {
      flakes: {
        type: 'range',
        min: 1,
        max: 20000,
        default: [200, 1000],
        integer: true,
        description: 'Number of flakes.',
      },
      radius: { type: 'range', min: 1, max: 20, default: [1.5, 3], description: 'Largest flake radius, pixels.' },
    },
  },
  sunFlare: {
    description: 'Brighten a round patch in the upper half, fading out from its centre.',
    params: {
      radius: {
        type: 'range',
        min: 0.01,
        max: 1,
        default: [0.15, 0.35],
        description: 'Radius, fraction of the shorter side.',
      },
      intensity: {
        type: 'range',
        min: 0,
        max: 1,
        default: [0.6, 0.9],
        description: 'Blend towards white at the centre.',
      },
    },
  },
  shadow: {
    description: 'Darken a random polygon (a cast shadow).',
    params: {
      vertices: {
        type: 'range',
        min: 3,
        max: 12,
        default: [3, 6],
        integer: true,
        description: 'Corners of the polygon.',
      },
      size: {
        type: 'range',
        min: 0.05,
        max: 1,
        default: [0.2, 0.5],
        description: 'Polygon radius, fraction of the shorter side.',
      },
      intensity: {
        type: 'range',
        min: 0,
        max: 1,
        default: [0.3, 0.6],
        description: 'Darkening: 1 - intensity is kept.',
      },
    },
  },
  bboxSafeCrop: {
    description:
      'Box-safe random crop: each side moves in from the image edge by a share (drawn from `margin`) of the gap to the box around every object, so no object loses any of its box (without labels: towards the centre).',
    params: {
      margin: {
        type: 'range',
        min: 0,
        max: 1,
        default: [0, 1],
        description: 'Share of the gap between each image edge and the objects that is cut away, drawn per side.',
      },
      resize: { type: 'boolean', default: false, description: 'Scale the region back to the size before the crop.' },
    },
  },
  randomResizedCrop: {
    description:
      'Random-resized crop: a region of `area` share and `ratio` aspect at a random place, scaled to `width` × `height` (default: the size before). With labels, a region that leaves no object at least minVisibility of its box is drawn again (10 tries, then the whole image); objects below minVisibility are dropped.',
    params: {
      width: { type: 'int', min: 1, max: 16384, description: 'Output width in pixels (default: the width before).' },
      height: { type: 'int', min: 1, max: 16384, description: 'Output height in pixels (default: the height before).' },
      area: { type: 'range', min: 0.01, max: 1, default: [0.08, 1], description: 'Region area, share of the image.' },
      ratio: { type: 'range', min: 0.1, max: 10, default: [0.75, 1.3333], description: 'Region width / height.' },
    },
  },
  mosaic: {
    description:
      'Mosaic: this image and three other images of the job (the same split; this image again when the job has no other) in the four quadrants around a random centre, each scaled to cover its quadrant with its corner on the centre. Labels of all four are merged and clipped to their quadrants; objects below minVisibility are dropped.',
    params: {
      centre: {
        type: 'range',
        min: 0.1,
        max: 0.9,
        default: [0.3, 0.7],
        description: 'Where the quadrants meet, as a share of the width and of the height (drawn for each).',
      },
    },
  },
  objectCutout: {
    description:
      "Cutout that knows the objects: 'avoid' puts holes only where they cover no object box (a hole without such a place in 10 tries is left out), 'target' puts each hole on a random object. Labels lose what is covered, as with `erase`: boxes shrink, objects below minVisibility are dropped.",
    params: {
      holes: { type: 'range', min: 1, max: 32, default: [1, 4], integer: true, description: 'Number of holes.' },
      size: {
        type: 'range',
        min: 0.01,
        max: 1,
        default: [0.05, 0.2],
        description: "Side of a hole: share of the image side ('avoid'), of the object's side ('target').",
      },
      mode: {
        type: 'enum',
        values: ['avoid', 'target'],
        default: 'avoid',
        description: "'avoid': holes off the objects; 'target': holes on them.",
      },
      fill: {
        type: 'colour',
        keywords: ['random', 'noise'],
        default: '#000000',
        description: "'#rrggbb[aa]', 'random' (a colour per hole) or 'noise' (random pixels).",
      },
    },
  },
  copyPaste: {
    description:
      "Copy-paste: objects with a polygon or a mask, cut out by it from another image of the job (the same split; this image's own source when the job has no other), scaled and pasted at random places inside this image. The pasted objects are added to the labels (box from the pasted outline or mask); objects they cover lose the covered part (boxes, polygons and masks shrink, covered keypoints become hidden) and are dropped below minVisibility. Box-only objects (no polygon or mask) are never pasted.",
    params: {
      objects: {
        type: 'range',
        min: 1,
        max: 16,
        default: [1, 3],
        integer: true,
        description: 'Objects pasted (at most as many as the other image has that qualify).',
      },
      scale: {
        type: 'range',
        min: 0.1,
        max: 4,
        default: [0.5, 1.5],
        description: 'Size factor of each pasted object (lowered when the object would not fit in the image).',
      },
      classes: {
        type: 'text',
        pattern: '^(?:\\d{1,4}(?:,\\d{1,4})*)?$',
        maxLength: 400,
        expected: "comma-separated category indexes such as '0,2', or empty",
        default: '',
        description:
          "Category indexes (0-based, in the dataset's category order) that may be pasted, comma-separated: '0,2'. Empty: every category.",
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

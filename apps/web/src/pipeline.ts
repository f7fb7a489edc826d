/**
 * The "customise" part of the form as data: a few operations (and the detection operations, for
 * labelled datasets) with an on/off switch, a chance and their
 * main parameter, turned into a pipeline spec (`{ name, steps: [{ op, probability, ...params }] }`, the
 * augmenter's published JSON Schema) and read back from a preset's spec. Pure, no DOM.
 */

/** One slider of an operation. Values are in the slider's units; `toSpec` converts them. */
export interface SliderDef {
  readonly key: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** How the value reads next to the slider, e.g. "±20°". */
  readonly format: (value: number) => string;
}

export interface OperationDef {
  readonly key: OperationKey;
  readonly label: string;
  readonly hint: string;
  readonly sliders: readonly SliderDef[];
  /** Operations that use the objects' labels: shown under their own heading. */
  readonly detection?: boolean;
}

/** The gallery picture of each operation that has one (`npm run gallery`, copied into the page by the build). */
export const THUMBNAILS: Readonly<Partial<Record<OperationKey, string>>> = {
  rotate: 'operations/rotate.webp',
  flipHorizontal: 'operations/flip-1.webp',
  flipVertical: 'operations/flip-2.webp',
  zoom: 'operations/zoom.webp',
  brightness: 'operations/brightness.webp',
  contrast: 'operations/contrast.webp',
  noise: 'operations/noise.webp',
  blur: 'operations/blur.webp',
};

export type OperationKey =
  | 'rotate'
  | 'flipHorizontal'
  | 'flipVertical'
  | 'zoom'
  | 'brightness'
  | 'contrast'
  | 'noise'
  | 'blur'
  | 'mosaic'
  | 'copyPaste'
  | 'bboxSafeCrop'
  | 'randomResizedCrop'
  | 'objectCutout';

/** The state of one operation: on or off, the chance it runs (0–100 %), and its slider values. */
export interface OperationState {
  readonly on: boolean;
  readonly chance: number;
  readonly values: Readonly<Record<string, number>>;
}

export type CustomPipeline = Readonly<Record<OperationKey, OperationState>>;

const percent = (value: number): string => `±${Math.round(value)}%`;
const times = (value: number): string => `${value.toFixed(2)}×`;
const sigma = (value: number): string => `σ ${value % 1 === 0 ? value : value.toFixed(1)}`;
const share = (value: number): string => `${Math.round(value)}%`;
const count = (value: number): string => `up to ${value}`;
const NEEDS_LABELS = 'For labelled datasets (COCO, YOLO, VOC): labels follow.';

/** The operations the form offers, in pipeline order (geometry first, then light, then noise and blur). */
export const OPERATION_DEFS: readonly OperationDef[] = [
  {
    key: 'rotate',
    label: 'Rotate',
    hint: 'Turn by a random angle, cropped so no empty corners show.',
    sliders: [{ key: 'maxAngle', label: 'Max angle', min: 1, max: 180, step: 1, format: (v) => `±${v}°` }],
  },
  { key: 'flipHorizontal', label: 'Flip left–right', hint: 'Mirror horizontally.', sliders: [] },
  { key: 'flipVertical', label: 'Flip top–bottom', hint: 'Mirror vertically.', sliders: [] },
  {
    key: 'zoom',
    label: 'Zoom',
    hint: 'Scale about the centre; above 1× zooms in.',
    sliders: [
      { key: 'min', label: 'From', min: 0.5, max: 3, step: 0.05, format: times },
      { key: 'max', label: 'To', min: 0.5, max: 3, step: 0.05, format: times },
    ],
  },
  {
    key: 'brightness',
    label: 'Brightness',
    hint: 'Lighten or darken by up to the amount.',
    sliders: [{ key: 'amount', label: 'Amount', min: 5, max: 90, step: 5, format: percent }],
  },
  {
    key: 'contrast',
    label: 'Contrast',
    hint: 'More or less contrast by up to the amount.',
    sliders: [{ key: 'amount', label: 'Amount', min: 5, max: 90, step: 5, format: percent }],
  },
  {
    key: 'noise',
    label: 'Noise',
    hint: 'Add gaussian noise up to the strength (0–255 scale).',
    sliders: [{ key: 'maxSigma', label: 'Strength', min: 1, max: 64, step: 1, format: sigma }],
  },
  {
    key: 'blur',
    label: 'Blur',
    hint: 'Gaussian blur up to the radius (pixels).',
    sliders: [{ key: 'maxSigma', label: 'Radius', min: 0.5, max: 10, step: 0.5, format: sigma }],
  },
  {
    key: 'mosaic',
    label: 'Mosaic',
    hint: `Four images of the job in the quadrants around a random centre. ${NEEDS_LABELS}`,
    sliders: [],
    detection: true,
  },
  {
    key: 'copyPaste',
    label: 'Copy-paste objects',
    hint: `Objects outlined by a polygon or mask in another image, pasted at random places. ${NEEDS_LABELS}`,
    sliders: [
      { key: 'objects', label: 'Objects', min: 1, max: 8, step: 1, format: count },
      { key: 'maxScale', label: 'Largest size', min: 0.5, max: 3, step: 0.1, format: times },
    ],
    detection: true,
  },
  {
    key: 'bboxSafeCrop',
    label: 'Box-safe crop',
    hint: `Crop that never cuts into an object's box. ${NEEDS_LABELS}`,
    sliders: [{ key: 'margin', label: 'Most cut', min: 10, max: 100, step: 10, format: share }],
    detection: true,
  },
  {
    key: 'randomResizedCrop',
    label: 'Random-resized crop',
    hint: `A random region, scaled back to the image's size; keeps an object. ${NEEDS_LABELS}`,
    sliders: [{ key: 'minArea', label: 'Smallest area', min: 10, max: 100, step: 5, format: share }],
    detection: true,
  },
  {
    key: 'objectCutout',
    label: 'Object cutout',
    hint: `Black holes placed off the objects. ${NEEDS_LABELS}`,
    sliders: [{ key: 'holes', label: 'Holes', min: 1, max: 8, step: 1, format: count }],
    detection: true,
  },
];

/** Where customising starts when the preset says nothing about an operation. */
export const DEFAULT_CUSTOM: CustomPipeline = {
  rotate: { on: true, chance: 70, values: { maxAngle: 20 } },
  flipHorizontal: { on: true, chance: 50, values: {} },
  flipVertical: { on: false, chance: 30, values: {} },
  zoom: { on: true, chance: 50, values: { min: 1.1, max: 1.3 } },
  brightness: { on: false, chance: 50, values: { amount: 20 } },
  contrast: { on: false, chance: 50, values: { amount: 20 } },
  noise: { on: false, chance: 30, values: { maxSigma: 15 } },
  blur: { on: false, chance: 30, values: { maxSigma: 1.5 } },
  mosaic: { on: false, chance: 50, values: {} },
  copyPaste: { on: false, chance: 50, values: { objects: 3, maxScale: 1.5 } },
  bboxSafeCrop: { on: false, chance: 50, values: { margin: 100 } },
  randomResizedCrop: { on: false, chance: 50, values: { minArea: 30 } },
  objectCutout: { on: false, chance: 30, values: { holes: 3 } },
};

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
const probability = (chance: number): number => round(clamp(chance, 0, 100) / 100);

type SpecStep = Record<string, unknown> & { op: string; probability: number };

/** The pipeline spec for the operations that are on. */
export const toSpec = (custom: CustomPipeline): { name: string; description: string; steps: SpecStep[] } => {
  const steps: SpecStep[] = [];
  const add = (key: OperationKey, step: (values: Readonly<Record<string, number>>) => Record<string, unknown>) => {
    const state = custom[key];
    if (state.on) steps.push({ ...step(state.values), probability: probability(state.chance) } as SpecStep);
  };
  const v = (values: Readonly<Record<string, number>>, name: string): number => values[name] ?? 0;
  // Images of the job are combined first, then moved, cropped, lit and spoilt.
  add('mosaic', () => ({ op: 'mosaic' }));
  add('copyPaste', (values) => {
    const largest = round(v(values, 'maxScale'), 1);
    return { op: 'copyPaste', objects: [1, v(values, 'objects')], scale: [Math.min(0.5, largest), largest] };
  });
  add('rotate', (values) => ({ op: 'rotate', angle: [-v(values, 'maxAngle'), v(values, 'maxAngle')], mode: 'crop' }));
  add('flipHorizontal', () => ({ op: 'flip', direction: 'horizontal' }));
  add('flipVertical', () => ({ op: 'flip', direction: 'vertical' }));
  add('zoom', (values) => {
    const low = v(values, 'min');
    const high = v(values, 'max');
    return { op: 'zoom', factor: [round(Math.min(low, high)), round(Math.max(low, high))] };
  });
  add('bboxSafeCrop', (values) => ({ op: 'bboxSafeCrop', margin: [0, probability(v(values, 'margin'))] }));
  add('randomResizedCrop', (values) => ({ op: 'randomResizedCrop', area: [probability(v(values, 'minArea')), 1] }));
  const around = (amount: number): [number, number] => [round(1 - amount / 100), round(1 + amount / 100)];
  add('brightness', (values) => ({ op: 'brightness', factor: around(v(values, 'amount')) }));
  add('contrast', (values) => ({ op: 'contrast', factor: around(v(values, 'amount')) }));
  add('noise', (values) => ({ op: 'noise', sigma: [0, v(values, 'maxSigma')] }));
  add('blur', (values) => ({ op: 'blur', sigma: [0.3, Math.max(0.3, v(values, 'maxSigma'))] }));
  add('objectCutout', (values) => ({ op: 'objectCutout', mode: 'avoid', holes: [1, v(values, 'holes')] }));
  const on = OPERATION_DEFS.filter((def) => custom[def.key].on).map((def) => def.label.toLowerCase());
  return { name: 'custom', description: `Custom: ${on.join(', ') || 'no operations'}.`, steps };
};

/** Problems that make the custom pipeline pointless; undefined when it is fine. */
export const customProblem = (custom: CustomPipeline): string | undefined =>
  OPERATION_DEFS.some((def) => custom[def.key].on && custom[def.key].chance > 0)
    ? undefined
    : 'Turn on at least one operation with a chance above 0 %, or switch off "Customise" to use the preset.';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `[min, max]` of a spec parameter (a number or a pair), or undefined. */
const rangeOf = (value: unknown): [number, number] | undefined => {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') return [value[0], value[1]];
  return undefined;
};

const sliderBounds = (key: OperationKey, slider: string): SliderDef | undefined =>
  OPERATION_DEFS.find((def) => def.key === key)?.sliders.find((s) => s.key === slider);

const fitSlider = (key: OperationKey, slider: string, value: number): number => {
  const def = sliderBounds(key, slider);
  if (!def) return value;
  const stepped = Math.round(value / def.step) * def.step;
  return round(clamp(stepped, def.min, def.max), 2);
};

/**
 * The form state that matches a spec's top-level steps as closely as the form can say it, so that
 * "customise" starts from the chosen preset. Steps the form has no control for (and groups) are left out.
 */
export const fromSpec = (spec: unknown): CustomPipeline => {
  const result: Record<OperationKey, OperationState> = Object.fromEntries(
    Object.entries(DEFAULT_CUSTOM).map(([key, state]) => [key, { ...state, on: false }]),
  ) as Record<OperationKey, OperationState>;
  const steps = isRecord(spec) && Array.isArray(spec.steps) ? spec.steps : [];
  const set = (key: OperationKey, step: Record<string, unknown>, values: Record<string, number> = {}) => {
    const chance = typeof step.probability === 'number' ? Math.round(step.probability * 100) : 100;
    const fitted = Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, fitSlider(key, name, value)]),
    );
    result[key] = { on: true, chance, values: { ...result[key].values, ...fitted } };
  };
  for (const step of steps) {
    if (!isRecord(step) || typeof step.op !== 'string') continue;
    const spread = (name: string) => {
      const range = rangeOf(step[name]);
      return range ? Math.max(Math.abs(range[0]), Math.abs(range[1])) : undefined;
    };
    switch (step.op) {
      case 'rotate': {
        const max = spread('angle');
        set('rotate', step, max ? { maxAngle: max } : {});
        break;
      }
      case 'flip': {
        const direction = step.direction ?? 'horizontal';
        if (direction === 'horizontal' || direction === 'random') set('flipHorizontal', step);
        if (direction === 'vertical' || direction === 'random') set('flipVertical', step);
        break;
      }
      case 'zoom': {
        const range = rangeOf(step.factor);
        set('zoom', step, range ? { min: range[0], max: range[1] } : {});
        break;
      }
      case 'brightness':
      case 'contrast': {
        const range = rangeOf(step.factor);
        const amount = range ? Math.max(Math.abs(1 - range[0]), Math.abs(range[1] - 1)) * 100 : undefined;
        set(step.op, step, amount ? { amount } : {});
        break;
      }
      case 'noise':
      case 'blur': {
        const range = rangeOf(step.sigma);
        set(step.op, step, range ? { maxSigma: range[1] } : {});
        break;
      }
      case 'mosaic':
        set('mosaic', step);
        break;
      case 'copyPaste': {
        const objects = rangeOf(step.objects);
        const scale = rangeOf(step.scale);
        set('copyPaste', step, {
          ...(objects ? { objects: objects[1] } : {}),
          ...(scale ? { maxScale: scale[1] } : {}),
        });
        break;
      }
      case 'bboxSafeCrop': {
        const margin = rangeOf(step.margin);
        set('bboxSafeCrop', step, margin ? { margin: margin[1] * 100 } : {});
        break;
      }
      case 'randomResizedCrop': {
        const area = rangeOf(step.area);
        set('randomResizedCrop', step, area ? { minArea: area[0] * 100 } : {});
        break;
      }
      case 'objectCutout': {
        const holes = rangeOf(step.holes);
        set('objectCutout', step, holes ? { holes: holes[1] } : {});
        break;
      }
      default:
        break;
    }
  }
  return result;
};

/** Replaces one operation's state, keeping zoom's "from" at most its "to". */
export const withOperation = (
  custom: CustomPipeline,
  key: OperationKey,
  change: Partial<OperationState> & { values?: Record<string, number> },
): CustomPipeline => {
  const current = custom[key];
  let values = { ...current.values, ...change.values };
  if (key === 'zoom' && change.values) {
    const min = values.min ?? 1;
    const max = values.max ?? 1;
    if (min > max) values = 'min' in change.values ? { min, max: min } : { min: max, max };
  }
  return { ...custom, [key]: { ...current, ...change, values } };
};

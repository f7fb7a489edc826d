import { OPERATION_NAMES, OPERATIONS, OUTPUT_FORMATS, type ParamDef, SPEC_LIMITS } from './catalogue.js';
import { PipelineSpecError } from './errors.js';
import type { OneOfStep, OpStep, OutputFormat, ParamValue, PipelineSpec, SomeOfStep, Step } from './types.js';

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const TOP_LEVEL_KEYS = ['$schema', 'name', 'description', 'seed', 'format', 'quality', 'steps'];

function fail(field: string, message: string): never {
  throw new PipelineSpecError(field, message);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      fail(join(path, key), `is not a field of ${what}; expected one of ${allowed.join(', ')}`);
    }
  }
}

function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(field, `must be a finite number, got ${describe(value)}`);
  return value as number;
}

function boundedNumber(value: unknown, field: string, min: number, max: number, integer = false): number {
  const n = finiteNumber(value, field);
  if (integer && !Number.isInteger(n)) fail(field, `must be an integer, got ${n}`);
  if (n < min || n > max) fail(field, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A probability in [0, 1]; absent means 1. */
function probability(value: unknown, field: string): number {
  return value === undefined ? 1 : boundedNumber(value, field, 0, 1);
}

function rangeValue(
  value: unknown,
  field: string,
  def: Extract<ParamDef, { type: 'range' }>,
): readonly [number, number] {
  const integer = def.integer === true;
  if (Array.isArray(value)) {
    if (value.length !== 2) fail(field, `must be a number or a [min, max] pair, got an array of ${value.length}`);
    const low = boundedNumber(value[0], `${field}[0]`, def.min, def.max, integer);
    const high = boundedNumber(value[1], `${field}[1]`, def.min, def.max, integer);
    if (low > high) fail(field, `min ${low} is greater than max ${high}`);
    return [low, high];
  }
  if (typeof value !== 'number') fail(field, `must be a number or a [min, max] pair, got ${describe(value)}`);
  const n = boundedNumber(value, field, def.min, def.max, integer);
  return [n, n];
}

function paramValue(value: unknown, field: string, def: ParamDef): ParamValue {
  switch (def.type) {
    case 'range':
      return rangeValue(value, field, def);
    case 'int':
      return boundedNumber(value, field, def.min, def.max, true);
    case 'enum':
      if (typeof value !== 'string' || !def.values.includes(value)) {
        fail(field, `must be one of ${def.values.map((v) => `'${v}'`).join(', ')}, got ${describe(value)}`);
      }
      return value as string;
    case 'colour':
      if (typeof value !== 'string' || !(def.keywords.includes(value) || HEX_COLOUR.test(value))) {
        const words = def.keywords.map((k) => `'${k}'`).join(', ');
        fail(field, `must be a colour '#rrggbb', '#rrggbbaa' or ${words}, got ${describe(value)}`);
      }
      return (value as string).toLowerCase();
    case 'boolean':
      if (typeof value !== 'boolean') fail(field, `must be true or false, got ${describe(value)}`);
      return value as boolean;
    case 'text':
      if (typeof value !== 'string') fail(field, `must be a string, got ${describe(value)}`);
      if ((value as string).length > def.maxLength) fail(field, `must be at most ${def.maxLength} characters`);
      if (!new RegExp(def.pattern).test(value as string)) {
        fail(field, `must be ${def.expected}, got ${describe(value)}`);
      }
      return value as string;
  }
}

function defaultValue(def: ParamDef): ParamValue | undefined {
  if (def.type === 'range' && typeof def.default === 'number') return [def.default, def.default];
  return def.default;
}

/** Checks between parameters of one operation, and defaults that depend on others. */
function crossCheck(op: string, params: Record<string, ParamValue | undefined>, path: string): void {
  if (op === 'crop') {
    const hasSize = params.width !== undefined || params.height !== undefined;
    if (params.width !== undefined && params.height === undefined) fail(join(path, 'height'), 'is required with width');
    if (params.height !== undefined && params.width === undefined) fail(join(path, 'width'), 'is required with height');
    if (hasSize && params.area !== undefined)
      fail(join(path, 'area'), 'give either area or width and height, not both');
    if (!hasSize && params.area === undefined) params.area = [0.5, 0.9];
  }
  if (op === 'resize' && params.width === undefined && params.height === undefined) {
    fail(join(path, 'width'), 'resize needs width, height or both');
  }
}

interface Budget {
  steps: number;
}

function opStep(record: Record<string, unknown>, path: string): OpStep {
  const op = record.op;
  if (typeof op !== 'string' || !Object.hasOwn(OPERATIONS, op)) {
    // Own names only: `constructor`, `__proto__` and `toString` are found on every object's prototype.
    fail(join(path, 'op'), `unknown operation ${describe(op)}; known: ${OPERATION_NAMES.join(', ')}`);
  }
  const name = op as string;
  const def = OPERATIONS[name] as (typeof OPERATIONS)[string];
  const paramNames = Object.keys(def.params);
  for (const key of Object.keys(record)) {
    if (key !== 'op' && key !== 'probability' && !paramNames.includes(key)) {
      const expected = ['probability', ...paramNames].join(', ');
      fail(join(path, key), `is not a parameter of '${name}'; expected one of ${expected}`);
    }
  }
  const params: Record<string, ParamValue | undefined> = {};
  for (const [key, paramDef] of Object.entries(def.params)) {
    const raw = record[key];
    params[key] = raw === undefined ? defaultValue(paramDef) : paramValue(raw, join(path, key), paramDef);
  }
  crossCheck(name, params, path);
  return { kind: 'op', op: name, probability: probability(record.probability, join(path, 'probability')), params };
}

function groupSteps(value: unknown, field: string, depth: number, budget: Budget): Step[] {
  if (!Array.isArray(value)) fail(field, `must be an array of steps, got ${describe(value)}`);
  const items = value as unknown[];
  if (items.length < 1 || items.length > SPEC_LIMITS.maxGroupSize) {
    fail(field, `must hold 1 to ${SPEC_LIMITS.maxGroupSize} steps, got ${items.length}`);
  }
  return items.map((item, i) => step(item, `${field}[${i}]`, depth + 1, budget));
}

function oneOfStep(record: Record<string, unknown>, path: string, depth: number, budget: Budget): OneOfStep {
  checkKeys(record, ['oneOf', 'weights', 'probability'], path, 'a oneOf group');
  const steps = groupSteps(record.oneOf, join(path, 'oneOf'), depth, budget);
  let weights = steps.map(() => 1);
  if (record.weights !== undefined) {
    const field = join(path, 'weights');
    if (!Array.isArray(record.weights) || record.weights.length !== steps.length) {
      fail(field, `must be an array of ${steps.length} numbers, one per step`);
    }
    weights = (record.weights as unknown[]).map((w, i) => boundedNumber(w, `${field}[${i}]`, 0, 1e6));
    if (weights.every((w) => w === 0)) fail(field, 'must not all be 0');
  }
  return { kind: 'oneOf', probability: probability(record.probability, join(path, 'probability')), steps, weights };
}

function someOfStep(record: Record<string, unknown>, path: string, depth: number, budget: Budget): SomeOfStep {
  checkKeys(record, ['someOf', 'count', 'probability'], path, 'a someOf group');
  const steps = groupSteps(record.someOf, join(path, 'someOf'), depth, budget);
  let count: [number, number] = [1, steps.length];
  if (record.count !== undefined) {
    const field = join(path, 'count');
    const def = { type: 'range', min: 0, max: steps.length, integer: true, description: '' } as const;
    const [low, high] = rangeValue(record.count, field, def);
    count = [low, high];
  }
  return { kind: 'someOf', probability: probability(record.probability, join(path, 'probability')), steps, count };
}

function step(value: unknown, path: string, depth: number, budget: Budget): Step {
  if (depth > SPEC_LIMITS.maxDepth) fail(path, `steps nest deeper than ${SPEC_LIMITS.maxDepth} levels`);
  budget.steps += 1;
  if (budget.steps > SPEC_LIMITS.maxSteps) fail(path, `a spec holds at most ${SPEC_LIMITS.maxSteps} steps in all`);
  if (!isRecord(value)) fail(path, `must be an object, got ${describe(value)}`);
  const record = value as Record<string, unknown>;
  const kinds = ['op', 'oneOf', 'someOf'].filter((k) => record[k] !== undefined);
  if (kinds.length !== 1) {
    fail(path, kinds.length === 0 ? "needs 'op', 'oneOf' or 'someOf'" : `has both ${kinds.join(' and ')}`);
  }
  if (kinds[0] === 'oneOf') return oneOfStep(record, path, depth, budget);
  if (kinds[0] === 'someOf') return someOfStep(record, path, depth, budget);
  return opStep(record, path);
}

function optionalString(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(field, `must be a string, got ${describe(value)}`);
  if ((value as string).length > maxLength) fail(field, `must be at most ${maxLength} characters`);
  return value as string;
}

/** Checks a seed: a non-negative safe integer. */
export function validateSeed(value: unknown, field: string): number {
  return boundedNumber(value, field, 0, Number.MAX_SAFE_INTEGER, true);
}

/**
 * Validates a pipeline spec (parsed JSON) and returns it normalised: defaults filled in, every range
 * a `[min, max]` pair. Throws {@link PipelineSpecError} naming the first bad field, e.g.
 * `steps[2].probability`.
 */
export function validateSpec(input: unknown): PipelineSpec {
  if (!isRecord(input)) return fail('spec', `must be an object with a 'steps' array, got ${describe(input)}`);
  checkKeys(input, TOP_LEVEL_KEYS, '', 'a pipeline spec');
  if (input.steps === undefined) fail('steps', 'is required');
  if (!Array.isArray(input.steps)) fail('steps', `must be an array of steps, got ${describe(input.steps)}`);
  const rawSteps = input.steps as unknown[];
  if (rawSteps.length > SPEC_LIMITS.maxSteps) fail('steps', `must hold at most ${SPEC_LIMITS.maxSteps} steps`);
  const budget: Budget = { steps: 0 };
  const steps = rawSteps.map((item, i) => step(item, `steps[${i}]`, 1, budget));
  let format: OutputFormat | undefined;
  if (input.format !== undefined) {
    if (typeof input.format !== 'string' || !(OUTPUT_FORMATS as readonly string[]).includes(input.format)) {
      fail('format', `must be one of ${OUTPUT_FORMATS.join(', ')}, got ${describe(input.format)}`);
    }
    format = input.format as OutputFormat;
  }
  const spec: {
    -readonly [K in keyof PipelineSpec]: PipelineSpec[K];
  } = { steps };
  const name = optionalString(input.name, 'name', SPEC_LIMITS.maxNameLength);
  const description = optionalString(input.description, 'description', SPEC_LIMITS.maxDescriptionLength);
  if (name !== undefined) spec.name = name;
  if (description !== undefined) spec.description = description;
  if (input.seed !== undefined) spec.seed = validateSeed(input.seed, 'seed');
  if (format !== undefined) spec.format = format;
  if (input.quality !== undefined) spec.quality = boundedNumber(input.quality, 'quality', 1, 100, true);
  return spec;
}

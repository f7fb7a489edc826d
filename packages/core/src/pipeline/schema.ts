import { OPERATIONS, OUTPUT_FORMATS, type ParamDef, SPEC_LIMITS } from './catalogue.js';

const hexColour = '^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$';

function paramSchema(def: ParamDef): Record<string, unknown> {
  switch (def.type) {
    case 'range': {
      const type = def.integer === true ? 'integer' : 'number';
      const bounded = { type, minimum: def.min, maximum: def.max };
      return {
        description: `${def.description} A number, or a [min, max] pair to draw from.`,
        ...(def.default === undefined ? {} : { default: def.default }),
        oneOf: [bounded, { type: 'array', prefixItems: [bounded, bounded], minItems: 2, maxItems: 2, items: false }],
      };
    }
    case 'int':
      return {
        description: def.description,
        type: 'integer',
        minimum: def.min,
        maximum: def.max,
        ...(def.default === undefined ? {} : { default: def.default }),
      };
    case 'enum':
      return { description: def.description, enum: [...def.values], default: def.default };
    case 'colour':
      return def.keywords.length === 0
        ? { description: def.description, default: def.default, type: 'string', pattern: hexColour }
        : {
            description: def.description,
            default: def.default,
            anyOf: [{ enum: [...def.keywords] }, { type: 'string', pattern: hexColour }],
          };
    case 'boolean':
      return { description: def.description, type: 'boolean', default: def.default };
    case 'text':
      return {
        description: def.description,
        type: 'string',
        pattern: def.pattern,
        maxLength: def.maxLength,
        default: def.default,
      };
  }
}

const probability = {
  description: 'Chance that the step runs, 0–1 (default 1).',
  type: 'number',
  minimum: 0,
  maximum: 1,
  default: 1,
};

function operationSchema(name: string): Record<string, unknown> {
  const def = OPERATIONS[name];
  if (def === undefined) throw new Error(`no operation ${name}`);
  const properties: Record<string, unknown> = { op: { const: name }, probability: { $ref: '#/$defs/probability' } };
  for (const [key, param] of Object.entries(def.params)) properties[key] = paramSchema(param);
  const schema: Record<string, unknown> = {
    title: name,
    description: def.description,
    type: 'object',
    properties,
    required: ['op'],
    additionalProperties: false,
  };
  if (name === 'crop') {
    schema.dependentRequired = { width: ['height'], height: ['width'] };
    schema.not = { required: ['area', 'width'] };
  }
  if (name === 'resize') schema.anyOf = [{ required: ['width'] }, { required: ['height'] }];
  return schema;
}

const groupItems = {
  type: 'array',
  items: { $ref: '#/$defs/step' },
  minItems: 1,
  maxItems: SPEC_LIMITS.maxGroupSize,
};

/**
 * The published JSON Schema (draft 2020-12) of a pipeline spec. The hand-written validator
 * (`validateSpec`) enforces the same rules plus those a schema cannot say: at most
 * {@link SPEC_LIMITS.maxSteps} steps in all and nesting at most {@link SPEC_LIMITS.maxDepth} deep.
 */
export const pipelineJsonSchema: Readonly<Record<string, unknown>> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:delta-augment:pipeline-spec:v1',
  title: 'Delta Augment pipeline spec',
  description:
    'Ordered augmentation steps; each runs with its probability. Every variant draws its parameters from its own ' +
    'generator derived from the seed, the source bytes and the variant index.',
  type: 'object',
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', maxLength: SPEC_LIMITS.maxNameLength },
    description: { type: 'string', maxLength: SPEC_LIMITS.maxDescriptionLength },
    seed: {
      description: "Seed of the variants; when absent the job's seed is used.",
      type: 'integer',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    },
    format: {
      description: "Output format; default the input's (png for inputs that cannot be written back, e.g. tiff, gif).",
      enum: [...OUTPUT_FORMATS],
    },
    quality: { description: 'Output quality (jpeg, webp, avif).', type: 'integer', minimum: 1, maximum: 100 },
    steps: {
      description: `At most ${SPEC_LIMITS.maxSteps} steps in all, nested at most ${SPEC_LIMITS.maxDepth} deep.`,
      type: 'array',
      items: { $ref: '#/$defs/step' },
      maxItems: SPEC_LIMITS.maxSteps,
    },
  },
  required: ['steps'],
  additionalProperties: false,
  $defs: {
    probability,
    step: {
      oneOf: [
        ...Object.keys(OPERATIONS).map((name) => ({ $ref: `#/$defs/op-${name}` })),
        { $ref: '#/$defs/oneOf' },
        { $ref: '#/$defs/someOf' },
      ],
    },
    oneOf: {
      title: 'oneOf',
      description: 'Run exactly one of the steps, picked by weight (equal by default).',
      type: 'object',
      properties: {
        oneOf: groupItems,
        weights: { type: 'array', items: { type: 'number', minimum: 0 } },
        probability: { $ref: '#/$defs/probability' },
      },
      required: ['oneOf'],
      additionalProperties: false,
    },
    someOf: {
      title: 'someOf',
      description: 'Run some of the steps (a count drawn from `count`, default 1 to all), in their listed order.',
      type: 'object',
      properties: {
        someOf: groupItems,
        count: {
          oneOf: [
            { type: 'integer', minimum: 0 },
            {
              type: 'array',
              prefixItems: [
                { type: 'integer', minimum: 0 },
                { type: 'integer', minimum: 0 },
              ],
              minItems: 2,
              maxItems: 2,
              items: false,
            },
          ],
        },
        probability: { $ref: '#/$defs/probability' },
      },
      required: ['someOf'],
      additionalProperties: false,
    },
    ...Object.fromEntries(Object.keys(OPERATIONS).map((name) => [`op-${name}`, operationSchema(name)])),
  },
};

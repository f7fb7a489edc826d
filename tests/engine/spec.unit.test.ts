import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  OPERATION_NAMES,
  OPERATIONS,
  PipelineSpecError,
  PRESETS,
  pipelineJsonSchema,
  resolvePipeline,
  validateSpec,
} from '@delta-augment/core';

/** Asserts that validating `spec` fails on `field`, and returns the error. */
function rejects(spec: unknown, field: string): PipelineSpecError {
  let caught: unknown;
  try {
    validateSpec(spec);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PipelineSpecError, `expected a PipelineSpecError for ${field}, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_PIPELINE');
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.startsWith(`${field}:`), caught.message);
  return caught;
}

const nest = (depth: number): unknown => (depth === 0 ? { op: 'invert' } : { oneOf: [nest(depth - 1)] });

describe('validating a pipeline spec', () => {
  describe('when the spec is valid', () => {
    it('fills in defaults and turns every range into a [min, max] pair', () => {
      // Act
      const spec = validateSpec({ steps: [{ op: 'rotate' }, { op: 'zoom', factor: 1.2, probability: 0.5 }] });
      // Assess
      assert.deepEqual(spec.steps[0], {
        kind: 'op',
        op: 'rotate',
        probability: 1,
        params: { angle: [-15, 15], mode: 'crop', fill: 'auto' },
      });
      assert.deepEqual(spec.steps[1], {
        kind: 'op',
        op: 'zoom',
        probability: 0.5,
        params: { factor: [1.2, 1.2], fill: 'auto' },
      });
    });

    it('keeps name, seed, format and quality', () => {
      const spec = validateSpec({ name: 'mine', seed: 7, format: 'webp', quality: 70, steps: [] });
      assert.equal(spec.name, 'mine');
      assert.equal(spec.seed, 7);
      assert.equal(spec.format, 'webp');
      assert.equal(spec.quality, 70);
    });

    it('normalises groups with their weights and counts', () => {
      const spec = validateSpec({
        steps: [
          { oneOf: [{ op: 'blur' }, { op: 'sharpen' }], weights: [3, 1] },
          { someOf: [{ op: 'invert' }, { op: 'greyscale' }, { op: 'equalise' }], count: 2, probability: 0.5 },
        ],
      });
      assert.equal(spec.steps[0]?.kind, 'oneOf');
      assert.deepEqual(spec.steps[0]?.kind === 'oneOf' && spec.steps[0].weights, [3, 1]);
      assert.deepEqual(spec.steps[1]?.kind === 'someOf' && spec.steps[1].count, [2, 2]);
    });

    it('defaults a crop to an area of 0.5–0.9', () => {
      const spec = validateSpec({ steps: [{ op: 'crop' }] });
      assert.deepEqual(spec.steps[0]?.kind === 'op' && spec.steps[0].params.area, [0.5, 0.9]);
    });
  });

  describe('when a field is wrong', () => {
    it('names the field of a probability out of range', () => {
      rejects(
        { steps: [{ op: 'invert' }, { op: 'invert' }, { op: 'rotate', probability: 1.5 }] },
        'steps[2].probability',
      );
    });

    it('names an unknown operation', () => {
      const error = rejects({ steps: [{ op: 'twirl' }] }, 'steps[0].op');
      assert.match(error.message, /unknown operation/);
    });

    it('names an unknown parameter', () => {
      rejects({ steps: [{ op: 'rotate', angel: 5 }] }, 'steps[0].angel');
    });

    it('names an unknown top-level field', () => {
      rejects({ steps: [], colour: 'red' }, 'colour');
    });

    it('names the bad end of a range', () => {
      rejects({ steps: [{ op: 'rotate', angle: [-20, 400] }] }, 'steps[0].angle[1]');
    });

    it('rejects a range whose min is above its max', () => {
      rejects({ steps: [{ op: 'zoom', factor: [1.5, 1.1] }] }, 'steps[0].factor');
    });

    it('rejects numbers that are not finite', () => {
      rejects({ steps: [{ op: 'brightness', factor: Number.NaN }] }, 'steps[0].factor');
      rejects({ steps: [{ op: 'brightness', factor: [1, Number.POSITIVE_INFINITY] }] }, 'steps[0].factor[1]');
    });

    it('rejects a fractional value for an integer parameter', () => {
      rejects({ steps: [{ op: 'jpeg', quality: [20.5, 50] }] }, 'steps[0].quality[0]');
    });

    it('rejects a bad enum value and a bad colour', () => {
      rejects({ steps: [{ op: 'flip', direction: 'diagonal' }] }, 'steps[0].direction');
      rejects({ steps: [{ op: 'rotate', mode: 'fill', fill: 'red' }] }, 'steps[0].fill');
    });

    it('names fields inside groups', () => {
      rejects({ steps: [{ someOf: [{ op: 'blur' }, { op: 'blur', sigma: 0 }] }] }, 'steps[0].someOf[1].sigma');
      rejects({ steps: [{ oneOf: [{ op: 'blur' }], weights: [0] }] }, 'steps[0].weights');
      rejects({ steps: [{ someOf: [{ op: 'blur' }], count: 3 }] }, 'steps[0].count');
    });

    it('requires width and height together for a crop, and not with area', () => {
      rejects({ steps: [{ op: 'crop', width: 10 }] }, 'steps[0].height');
      rejects({ steps: [{ op: 'crop', width: 10, height: 10, area: 0.5 }] }, 'steps[0].area');
    });

    it('requires a size for a resize', () => {
      rejects({ steps: [{ op: 'resize' }] }, 'steps[0].width');
    });

    it('rejects a step that is neither an operation nor a group', () => {
      rejects({ steps: [{ probability: 1 }] }, 'steps[0]');
      rejects({ steps: ['rotate'] }, 'steps[0]');
    });

    it('rejects a bad format, quality and seed', () => {
      rejects({ steps: [], format: 'gif' }, 'format');
      rejects({ steps: [], quality: 0 }, 'quality');
      rejects({ steps: [], seed: -1 }, 'seed');
    });

    it('rejects a spec that is not an object or has no steps', () => {
      rejects([], 'spec');
      rejects({}, 'steps');
    });
  });

  describe('when a spec is too big', () => {
    it('rejects more than 64 steps in all', () => {
      const steps = Array.from({ length: 33 }, () => ({ oneOf: [{ op: 'invert' }] }));
      rejects({ steps }, 'steps[32]');
    });

    it('rejects nesting deeper than 4', () => {
      validateSpec({ steps: [nest(3)] });
      rejects({ steps: [nest(4)] }, 'steps[0].oneOf[0].oneOf[0].oneOf[0].oneOf[0]');
    });
  });
});

describe('resolving a pipeline choice', () => {
  describe('when neither preset nor spec is given', () => {
    it('uses delta-classic with the choice seed', () => {
      const pipeline = resolvePipeline({ seed: 5 });
      assert.equal(pipeline.name, 'delta-classic');
      assert.equal(pipeline.seed, 5);
      assert.equal(pipeline.spec.steps.length, 6);
    });
  });

  describe('when a preset is named', () => {
    it('resolves every preset', () => {
      for (const name of Object.keys(PRESETS)) assert.equal(resolvePipeline({ preset: name, seed: 1 }).name, name);
    });

    it('rejects an unknown preset, naming the field and the known ones', () => {
      assert.throws(
        () => resolvePipeline({ preset: 'sparkly', seed: 1 }),
        (error: unknown) =>
          error instanceof PipelineSpecError && error.field === 'preset' && /delta-classic/.test(error.message),
      );
    });

    it('does not resolve inherited property names as presets', () => {
      assert.throws(() => resolvePipeline({ preset: 'toString', seed: 1 }), PipelineSpecError);
    });
  });

  describe('when a spec is given', () => {
    it("uses the spec's own seed over the choice's", () => {
      assert.equal(resolvePipeline({ spec: { seed: 9, steps: [] }, seed: 1 }).seed, 9);
      assert.equal(resolvePipeline({ spec: { steps: [] }, seed: 1 }).seed, 1);
    });

    it("takes the spec's name, or 'custom'", () => {
      assert.equal(resolvePipeline({ spec: { name: 'x', steps: [] }, seed: 1 }).name, 'x');
      assert.equal(resolvePipeline({ spec: { steps: [] }, seed: 1 }).name, 'custom');
    });

    it('accepts the spec as JSON text, and names a syntax error', () => {
      assert.equal(resolvePipeline({ spec: '{"steps": [{"op": "invert"}]}', seed: 1 }).spec.steps.length, 1);
      assert.throws(
        () => resolvePipeline({ spec: '{"steps": [', seed: 1 }),
        (error: unknown) => error instanceof PipelineSpecError && error.field === 'spec',
      );
    });

    it('rejects a preset named as well', () => {
      assert.throws(
        () => resolvePipeline({ preset: 'light', spec: { steps: [] }, seed: 1 }),
        (error: unknown) => error instanceof PipelineSpecError && error.field === 'preset',
      );
    });

    it('rejects a bad job seed when the spec has none', () => {
      assert.throws(
        () => resolvePipeline({ spec: { steps: [] }, seed: 1.5 }),
        (error: unknown) => error instanceof PipelineSpecError && error.field === 'seed',
      );
    });
  });
});

describe('the presets', () => {
  it('pins delta-classic to the seed paper pipeline', () => {
    const steps = resolvePipeline({ preset: 'delta-classic', seed: 1 }).spec.steps.map((s) =>
      s.kind === 'op' ? [s.op, s.probability, s.params] : s.kind,
    );
    assert.deepEqual(steps, [
      ['rotate', 0.7, { angle: [-20, 20], mode: 'crop', fill: 'auto' }],
      ['rotate90', 0.2, {}],
      ['rotate270', 0.3, {}],
      ['flip', 0.8, { direction: 'horizontal' }],
      ['flip', 0.3, { direction: 'vertical' }],
      ['zoom', 0.7, { factor: [1.1, 1.2], fill: 'auto' }],
    ]);
  });

  it('offers light, heavy, geometric and colour', () => {
    for (const name of ['light', 'heavy', 'geometric', 'colour']) assert.ok(name in PRESETS, name);
  });
});

describe('the published JSON Schema', () => {
  const defs = (pipelineJsonSchema as { $defs: Record<string, Record<string, unknown>> }).$defs;

  it('is a draft 2020-12 schema requiring steps', () => {
    assert.equal(pipelineJsonSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(pipelineJsonSchema.required, ['steps']);
  });

  it('describes every operation with exactly its parameters', () => {
    for (const name of OPERATION_NAMES) {
      const def = defs[`op-${name}`];
      assert.ok(def, `no schema for ${name}`);
      const properties = Object.keys(def.properties as object).sort();
      assert.deepEqual(properties, ['op', 'probability', ...Object.keys(OPERATIONS[name]?.params ?? {})].sort());
      assert.equal(def.additionalProperties, false);
    }
  });

  it('lists every operation and both groups as the step alternatives', () => {
    const refs = ((defs.step?.oneOf ?? []) as { $ref: string }[]).map((r) => r.$ref);
    assert.equal(refs.length, OPERATION_NAMES.length + 2);
    for (const ref of refs) assert.ok(defs[ref.replace('#/$defs/', '')], ref);
  });

  it('is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(pipelineJsonSchema)), pipelineJsonSchema);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineSpecError, PRESETS, pipelineJsonSchema, validateSpec } from '@delta-augment/core';
import { Ajv2020 } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ allErrors: true });
const check = ajv.compile(pipelineJsonSchema);

/** Both validators' verdicts on a spec. */
function verdicts(spec: unknown): { schema: boolean; validator: boolean } {
  let validator = true;
  try {
    validateSpec(spec);
  } catch (error) {
    if (!(error instanceof PipelineSpecError)) throw error;
    validator = false;
  }
  return { schema: check(spec), validator };
}

describe('the published JSON Schema, checked by a real JSON Schema validator', () => {
  it('compiles under draft 2020-12 in strict mode', () => {
    assert.equal(typeof check, 'function');
  });

  describe('when a spec is valid', () => {
    it('accepts every preset', () => {
      for (const [name, spec] of Object.entries(PRESETS))
        assert.ok(check(spec), `${name}: ${ajv.errorsText(check.errors)}`);
    });

    it('accepts what the hand-written validator accepts', () => {
      const specs = [
        { steps: [] },
        { seed: 3, format: 'avif', quality: 50, steps: [{ op: 'rotate', angle: 5, mode: 'fill', fill: '#ff000080' }] },
        {
          steps: [
            { op: 'crop', width: 10, height: 20 },
            { op: 'resize', height: 100 },
          ],
        },
        {
          steps: [
            { someOf: [{ op: 'invert' }, { oneOf: [{ op: 'blur' }, { op: 'erase', fill: 'noise' }] }], count: [0, 2] },
          ],
        },
      ];
      for (const spec of specs)
        assert.deepEqual(verdicts(spec), { schema: true, validator: true }, JSON.stringify(spec));
    });
  });

  describe('when a spec is invalid', () => {
    it('rejects what the hand-written validator rejects', () => {
      const specs = [
        {},
        { steps: [{ op: 'twirl' }] },
        { steps: [{ op: 'rotate', probability: 2 }] },
        { steps: [{ op: 'rotate', angel: 3 }] },
        { steps: [{ op: 'rotate', angle: [1, 2, 3] }] },
        { steps: [{ op: 'jpeg', quality: 0.5 }] },
        { steps: [{ op: 'flip', direction: 'diagonal' }] },
        { steps: [{ op: 'rotate', fill: 'red' }] },
        { steps: [{ op: 'crop', width: 10 }] },
        { steps: [{ op: 'crop', width: 10, height: 10, area: 0.5 }] },
        { steps: [{ op: 'resize' }] },
        { steps: [{ oneOf: [] }] },
        { steps: [{ someOf: [{ op: 'blur' }], extra: 1 }] },
        { steps: [], format: 'gif' },
        { steps: [], seed: -1 },
      ];
      for (const spec of specs)
        assert.deepEqual(verdicts(spec), { schema: false, validator: false }, JSON.stringify(spec));
    });
  });
});

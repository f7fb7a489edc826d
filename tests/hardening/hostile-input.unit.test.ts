import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestCsv } from '@delta-augment/augmenter';
import { OPERATION_NAMES, OPERATIONS, outputPixelBound, PipelineSpecError, validateSpec } from '@delta-augment/core';
import fc from 'fast-check';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** A parameter value at, inside or past its definition's bounds, or of the wrong type. */
const hostileValue = fc.oneof(
  fc.constantFrom(0, -1, 1, 65535, 65536, 16384, 16385, 1e300, -1e300, Number.NaN, 0.5, 10, 128, 129),
  fc.tuple(fc.double({ noNaN: false }), fc.double({ noNaN: false })),
  fc.constantFrom('auto', '#fff', 'random', 'red', '', null, true, [], {}),
);

const hostileStep = fc.record(
  {
    op: fc.oneof(
      fc.constantFrom(...OPERATION_NAMES),
      fc.constantFrom(...PROTOTYPE_NAMES),
      fc.string({ maxLength: 12 }),
    ),
    probability: fc.oneof(fc.constant(1), fc.double({ min: -1, max: 2, noNaN: false })),
    params: fc.dictionary(
      fc.constantFrom('width', 'height', 'factor', 'angle', 'sigma', 'area', 'resize', 'fill'),
      hostileValue,
      {
        maxKeys: 3,
      },
    ),
  },
  { requiredKeys: ['op'] },
);

/** The spec's own shape: params are written beside `op`. */
const toSpecStep = (step: { op: string; probability?: number; params?: Record<string, unknown> }) => ({
  op: step.op,
  ...(step.probability === undefined ? {} : { probability: step.probability }),
  ...(step.params ?? {}),
});

describe('pipelines from a generator of hostile steps', () => {
  it('are either valid or refused with a PipelineSpecError naming a field, never anything else', () => {
    fc.assert(
      fc.property(fc.array(hostileStep, { maxLength: 6 }), (steps) => {
        try {
          validateSpec({ steps: steps.map(toSpecStep) });
        } catch (error) {
          assert.ok(
            error instanceof PipelineSpecError,
            `threw ${(error as Error)?.name}: ${(error as Error)?.message}`,
          );
          assert.match(error.field, /^(spec|steps)/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never find an operation through the prototype chain', () => {
    for (const op of PROTOTYPE_NAMES) {
      assert.ok(!Object.hasOwn(OPERATIONS, op));
      assert.throws(
        () => validateSpec({ steps: [{ op }] }),
        (error: unknown) => error instanceof PipelineSpecError && error.field === 'steps[0].op',
      );
    }
  });

  it('bound every valid pipeline: the output bound is at least the source for size-keeping steps and grows with resize', () => {
    fc.assert(
      fc.property(
        fc.array(hostileStep, { maxLength: 6 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        (steps, width, height) => {
          let spec: ReturnType<typeof validateSpec>;
          try {
            spec = validateSpec({ steps: steps.map(toSpecStep) });
          } catch {
            return;
          }
          const bound = outputPixelBound(spec, width, height);
          assert.ok(Number.isFinite(bound) && bound >= 1, `bound ${bound}`);
          // A pipeline that may run no step at all keeps the source's size, so the bound covers it.
          if (spec.steps.every((s) => s.probability < 1)) assert.ok(bound >= width * height);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('the manifest from a generator of file names and labels', () => {
  it('prefixes every value that starts with a formula character with a quote', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            file: fc.oneof(fc.string(), fc.constantFrom('=cmd|calc!A1', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx')),
            label: fc.oneof(fc.string(), fc.constantFrom('=HYPERLINK("x")', '-', '@')),
          }),
          { maxLength: 5 },
        ),
        (rows) => {
          const csv = manifestCsv(
            rows.map((r, i) => ({ ...r, source: 's', sourceId: 's_1', index: i, operations: [] })),
          );
          for (const row of rows) {
            for (const value of [row.file, row.label]) {
              const quoted = `"'${value.replace(/"/g, '""')}"`;
              if (/^[=+\-@\t\r]/.test(value)) assert.ok(csv.includes(`'${value}`) || csv.includes(quoted), value);
            }
          }
          assert.ok(csv.startsWith('file,label,source,index,operations\n'));
        },
      ),
      { numRuns: 500 },
    );
  });
});

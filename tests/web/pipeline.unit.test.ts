import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSpec } from '@delta-augment/core';
import {
  customProblem,
  DEFAULT_CUSTOM,
  fromSpec,
  OPERATION_DEFS,
  toSpec,
  withOperation,
} from '../../apps/web/src/pipeline.js';

describe('the custom pipeline of the form', () => {
  describe('when operations are switched on with their sliders', () => {
    it('becomes a spec of steps with probabilities and [min, max] ranges, in pipeline order', () => {
      // Prepare
      let custom = withOperation(DEFAULT_CUSTOM, 'rotate', { on: true, chance: 40, values: { maxAngle: 30 } });
      custom = withOperation(custom, 'flipVertical', { on: true, chance: 100 });
      custom = withOperation(custom, 'zoom', { on: false });
      custom = withOperation(custom, 'brightness', { on: true, chance: 50, values: { amount: 25 } });
      custom = withOperation(custom, 'noise', { on: true, chance: 30, values: { maxSigma: 12 } });
      custom = withOperation(custom, 'blur', { on: true, chance: 20, values: { maxSigma: 2 } });
      // Act
      const spec = toSpec(custom);
      // Assess
      assert.deepEqual(spec.steps, [
        { op: 'rotate', angle: [-30, 30], mode: 'crop', probability: 0.4 },
        { op: 'flip', direction: 'horizontal', probability: 0.5 },
        { op: 'flip', direction: 'vertical', probability: 1 },
        { op: 'brightness', factor: [0.75, 1.25], probability: 0.5 },
        { op: 'noise', sigma: [0, 12], probability: 0.3 },
        { op: 'blur', sigma: [0.3, 2], probability: 0.2 },
      ]);
      assert.equal(spec.name, 'custom');
    });
  });

  describe('when zoom "from" is moved above "to"', () => {
    it('moves "to" along so the range stays ordered', () => {
      // Prepare
      const custom = withOperation(DEFAULT_CUSTOM, 'zoom', { values: { min: 1, max: 1.2 } });
      // Act
      const raised = withOperation(custom, 'zoom', { values: { min: 1.5 } });
      const lowered = withOperation(custom, 'zoom', { values: { max: 0.8 } });
      // Assess
      assert.deepEqual(raised.zoom.values, { min: 1.5, max: 1.5 });
      assert.deepEqual(lowered.zoom.values, { min: 0.8, max: 0.8 });
    });
  });

  describe('when every operation is off', () => {
    it('reports a problem instead of sending an empty pipeline', () => {
      // Prepare
      let custom = DEFAULT_CUSTOM;
      for (const key of Object.keys(DEFAULT_CUSTOM) as (keyof typeof DEFAULT_CUSTOM)[]) {
        custom = withOperation(custom, key, { on: false });
      }
      // Act
      const problem = customProblem(custom);
      // Assess
      assert.match(problem ?? '', /at least one operation/);
      assert.equal(customProblem(DEFAULT_CUSTOM), undefined);
    });
  });

  describe('when customising starts from a preset spec', () => {
    it('reads the steps it has controls for and leaves the others off', () => {
      // Prepare
      const preset = {
        name: 'delta-classic',
        steps: [
          { op: 'rotate', probability: 0.7, angle: [-20, 20], mode: 'crop' },
          { op: 'rotate90', probability: 0.2 },
          { op: 'flip', probability: 0.8, direction: 'horizontal' },
          { op: 'flip', probability: 0.3, direction: 'vertical' },
          { op: 'zoom', probability: 0.7, factor: [1.1, 1.2] },
          { op: 'contrast', factor: [0.9, 1.1] },
          { oneOf: [{ op: 'blur', sigma: [0.5, 2] }], probability: 0.4 },
        ],
      };
      // Act
      const custom = fromSpec(preset);
      // Assess
      assert.deepEqual(custom.rotate, { on: true, chance: 70, values: { maxAngle: 20 } });
      assert.deepEqual(custom.flipHorizontal, { on: true, chance: 80, values: {} });
      assert.deepEqual(custom.flipVertical, { on: true, chance: 30, values: {} });
      assert.deepEqual(custom.zoom, { on: true, chance: 70, values: { min: 1.1, max: 1.2 } });
      assert.deepEqual(custom.contrast, { on: true, chance: 100, values: { amount: 10 } });
      assert.equal(custom.blur.on, false, 'steps inside groups are not read');
      assert.equal(custom.brightness.on, false);
      assert.deepEqual(toSpec(custom).steps.slice(0, 2), [
        { op: 'rotate', angle: [-20, 20], mode: 'crop', probability: 0.7 },
        { op: 'flip', direction: 'horizontal', probability: 0.8 },
      ]);
    });

    it('turns everything off for something that is not a spec', () => {
      // Act
      const custom = fromSpec('not a spec');
      // Assess
      assert.ok(Object.values(custom).every((state) => !state.on));
    });
  });

  describe('when the detection operations are switched on', () => {
    it('offers each of them, and makes steps the server accepts, images combined first', () => {
      // Prepare
      let custom = withOperation(DEFAULT_CUSTOM, 'rotate', { on: false });
      custom = withOperation(custom, 'mosaic', { on: true, chance: 40 });
      custom = withOperation(custom, 'copyPaste', { on: true, chance: 100, values: { objects: 4, maxScale: 2 } });
      custom = withOperation(custom, 'bboxSafeCrop', { on: true, chance: 50, values: { margin: 60 } });
      custom = withOperation(custom, 'randomResizedCrop', { on: true, chance: 25, values: { minArea: 35 } });
      custom = withOperation(custom, 'objectCutout', { on: true, chance: 30, values: { holes: 5 } });
      // Act
      const spec = toSpec(custom);
      // Assess
      assert.deepEqual(
        OPERATION_DEFS.filter((def) => def.detection).map((def) => def.key),
        ['mosaic', 'copyPaste', 'bboxSafeCrop', 'randomResizedCrop', 'objectCutout'],
      );
      assert.deepEqual(spec.steps, [
        { op: 'mosaic', probability: 0.4 },
        { op: 'copyPaste', objects: [1, 4], scale: [0.5, 2], probability: 1 },
        { op: 'flip', direction: 'horizontal', probability: 0.5 },
        { op: 'zoom', factor: [1.1, 1.3], probability: 0.5 },
        { op: 'bboxSafeCrop', margin: [0, 0.6], probability: 0.5 },
        { op: 'randomResizedCrop', area: [0.35, 1], probability: 0.25 },
        { op: 'objectCutout', mode: 'avoid', holes: [1, 5], probability: 0.3 },
      ]);
      assert.doesNotThrow(() => validateSpec(spec));
      const back = fromSpec(spec);
      assert.deepEqual(back.copyPaste, { on: true, chance: 100, values: { objects: 4, maxScale: 2 } });
      assert.deepEqual(back.bboxSafeCrop, { on: true, chance: 50, values: { margin: 60 } });
      assert.deepEqual(back.randomResizedCrop, { on: true, chance: 25, values: { minArea: 35 } });
      assert.deepEqual(back.objectCutout, { on: true, chance: 30, values: { holes: 5 } });
      assert.deepEqual(back.mosaic, { on: true, chance: 40, values: {} });
    });
  });
});

import type { Box, ImageLabels, PipelineSpec, Step } from '@delta-augment/core';
import { PermanentError } from '@delta-augment/core';
import type { DrawContext } from './draw-params.js';
import type { Canvas, DrawnOperation } from './effects.js';
import { followLabels } from './labels/follow.js';
import { canvasAfter, drawOperation } from './operations.js';
import type { Rng } from './rng.js';

/** Largest side and area an intermediate image may reach (resize and scale can grow it). */
export const CANVAS_LIMITS = { maxSide: 32768, maxPixels: 100_000_000 } as const;

/** What drawing knows of the source beyond its pixels. */
export interface DrawSource {
  /** The source's labels, for the operations that use the objects. */
  readonly labels?: ImageLabels;
  readonly minVisibility?: number;
  /** How many other images of the job (same split) mosaic and copy-paste may use. */
  readonly partners?: number;
}

/**
 * Walks the spec with the variant's generator and returns the operations that run, in order, with
 * their parameters drawn. Every step draws its probability first; groups then pick their members.
 */
export function drawVariant(spec: PipelineSpec, rng: Rng, source: Canvas, known: DrawSource = {}): DrawnOperation[] {
  const drawn: DrawnOperation[] = [];
  let canvas = source;
  const minVisibility = known.minVisibility ?? 0.25;
  // The objects' outlines (masks left out: their boxes stand for them) through what was drawn so far.
  const shapes = known.labels && { ...known.labels, objects: known.labels.objects.map(({ mask: _, ...o }) => o) };
  const context: DrawContext = {
    boxes: (): readonly Box[] =>
      shapes ? followLabels(shapes, drawn, source, { minVisibility: 0 }).labels.objects.map((o) => o.box) : [],
    partners: known.partners ?? 0,
    minVisibility,
  };
  const visit = (step: Step): void => {
    if (!rng.chance(step.probability)) return;
    switch (step.kind) {
      case 'op': {
        const operation = drawOperation(step.op, step.params, rng, canvas, context);
        canvas = canvasAfter(canvas, operation.effect);
        if (
          canvas.width > CANVAS_LIMITS.maxSide ||
          canvas.height > CANVAS_LIMITS.maxSide ||
          canvas.width * canvas.height > CANVAS_LIMITS.maxPixels
        ) {
          throw new PermanentError(
            `the pipeline makes a ${canvas.width}×${canvas.height} image; at most ${CANVAS_LIMITS.maxSide} a side and ${CANVAS_LIMITS.maxPixels} pixels`,
          );
        }
        drawn.push(operation);
        return;
      }
      case 'oneOf': {
        const chosen = step.steps[rng.weightedIndex(step.weights)];
        if (chosen !== undefined) visit(chosen);
        return;
      }
      case 'someOf': {
        const count = rng.int(step.count[0], step.count[1]);
        for (const i of rng.sampleIndices(step.steps.length, count)) visit(step.steps[i] as Step);
        return;
      }
    }
  };
  for (const step of spec.steps) visit(step);
  return drawn;
}

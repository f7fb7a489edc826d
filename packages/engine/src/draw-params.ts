import type { Box, ParamValue } from '@delta-augment/core';
import type { Canvas, Effect } from './effects.js';
import type { Rng } from './rng.js';
import type { RawImage } from './types.js';

/** An operation's validated parameters. */
export type Params = Readonly<Record<string, ParamValue | undefined>>;
/** What a drawer returns: the parameters drawn (for the manifest) and the effect. */
export type Drawn = { params: Record<string, unknown>; effect: Effect };
/** What the detection operations know while they are drawn. */
export interface DrawContext {
  /**
   * The boxes of the source's objects on the current canvas, after the operations drawn so far
   * (objects of other images brought in by mosaic or copy-paste are not among them); empty without labels.
   */
  readonly boxes: () => readonly Box[];
  /** How many other images of the job (same split) mosaic and copy-paste may draw from. */
  readonly partners: number;
  /** Objects with less than this share of their area left are dropped. */
  readonly minVisibility: number;
}

/** A context without labels or other images. */
export const NO_CONTEXT: DrawContext = { boxes: () => [], partners: 0, minVisibility: 0.25 };

/** Draws one operation's parameters from the variant's generator. */
export type Draw = (params: Params, rng: Rng, canvas: Canvas, context: DrawContext) => Drawn;

/** Rounds a drawn float to 4 decimals; the rounded value is both recorded and used. */
export const round4 = (value: number): number => Math.round(value * 1e4) / 1e4;

/** Draws from a validated `[min, max]` range parameter. */
export function draw(value: ParamValue | undefined, rng: Rng, integer = false): number {
  const [low, high] = value as readonly [number, number];
  return integer ? rng.int(low, high) : round4(rng.uniform(low, high));
}

/** An effect that rewrites the pixels in JS. */
export function pixels(run: (image: RawImage, owned: boolean) => RawImage): Effect {
  return { kind: 'pixels', run };
}

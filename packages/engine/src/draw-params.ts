import type { ParamValue } from '@delta-augment/core';
import type { Canvas, Effect } from './effects.js';
import type { Rng } from './rng.js';
import type { RawImage } from './types.js';

/** An operation's validated parameters. */
export type Params = Readonly<Record<string, ParamValue | undefined>>;
/** What a drawer returns: the parameters drawn (for the manifest) and the effect. */
export type Drawn = { params: Record<string, unknown>; effect: Effect };
/** Draws one operation's parameters from the variant's generator. */
export type Draw = (params: Params, rng: Rng, canvas: Canvas) => Drawn;

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

import type { Sharp } from 'sharp';
import type { Mat3 } from './geometry/matrix.js';
import type { MosaicLayout, PastePick, RawImage } from './types.js';

/** An RGBA fill colour, 0–255 each. */
export type Fill = readonly [number, number, number, number];

/** The size of the image at some point of a pipeline. */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
}

/**
 * A backward displacement field over a width × height canvas: the output at point p samples the
 * input at p + d(p). d is smooth, so it is stored on a coarser lattice (sample (i, j) at canvas point
 * (i × step, j × step), `cols` × `rows` samples) and interpolated bilinearly: memory stays small
 * however large the image.
 */
export interface DisplacementField {
  readonly width: number;
  readonly height: number;
  readonly step: number;
  readonly cols: number;
  readonly rows: number;
  readonly dx: Float32Array;
  readonly dy: Float32Array;
}

/**
 * What one drawn operation does, in a form the renderer can fuse: consecutive `transform` and
 * `displace` effects become one warp; consecutive `lut` effects one table; `sharp` effects run in
 * sharp (fused into the encode when they come last).
 */
export type Effect =
  | {
      readonly kind: 'transform';
      /** Forward map from the current canvas to the new one (continuous pixel coordinates). */
      readonly matrix: Mat3;
      readonly width: number;
      readonly height: number;
      readonly fill: Fill;
    }
  | { readonly kind: 'displace'; readonly build: (canvas: Canvas) => DisplacementField; readonly fill: Fill }
  | { readonly kind: 'lut'; readonly lut: Uint8Array }
  | { readonly kind: 'pixels'; readonly run: (image: RawImage, owned: boolean) => RawImage }
  | {
      readonly kind: 'sharp';
      /** Position in sharp's fixed operation order; effects fuse only in increasing rank. */
      readonly rank: number;
      readonly apply: (pipeline: Sharp) => Sharp;
    }
  | { readonly kind: 'async'; readonly run: (image: RawImage) => Promise<RawImage> }
  | {
      readonly kind: 'mosaic';
      readonly layout: MosaicLayout;
      /** The other three images: indexes into the job's other images, or -1 for this image itself. */
      readonly partners: readonly number[];
    }
  | {
      readonly kind: 'copyPaste';
      /** The image the objects come from: an index into the job's other images, or -1 for this image's source. */
      readonly partner: number;
      readonly picks: readonly PastePick[];
      /** Categories that may be pasted; all when absent. */
      readonly classes?: readonly number[];
    };

/** A drawn operation: the manifest entry and what it does. */
export interface DrawnOperation {
  readonly op: string;
  readonly params: Record<string, unknown>;
  readonly effect: Effect;
}

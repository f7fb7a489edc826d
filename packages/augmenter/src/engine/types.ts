import type { AppliedOperation, DroppedLabel, ImageLabels } from '@delta-augment/shared';
import type { PipelineSpec } from './spec/types.js';

/** Input limits; a source over either is a permanent failure naming the limit. */
export interface EngineLimits {
  /** Largest width × height accepted (MAX_PIXELS). */
  readonly maxPixels: number;
  /** Largest input file accepted, in bytes (MAX_INPUT_BYTES). */
  readonly maxInputBytes: number;
}

/** A decoded source, shared by all its variants (opaque beyond these fields). */
export interface DecodedSource {
  readonly width: number;
  readonly height: number;
  /** Input format name from sharp metadata, e.g. 'jpeg', 'png', 'webp', 'tiff', 'heif', 'gif'. */
  readonly format: string;
  readonly hasAlpha: boolean;
  /** sha256 hex of the input bytes. */
  readonly digest: string;
}

/** Output formats a variant can be written in. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/** A validated pipeline, ready to render. */
export interface ResolvedPipeline {
  /** Preset name, the spec's `name`, or 'custom'. */
  readonly name: string;
  /** The seed variants are derived from: the spec's own `seed` if it has one, else the job's. */
  readonly seed: number;
  /** The normalised spec (defaults filled in). */
  readonly spec: PipelineSpec;
}

/** One rendered variant. */
export interface RenderedVariant {
  readonly data: Buffer;
  readonly format: OutputFormat;
  /** File extension without the dot: 'jpg', 'png', 'webp' or 'avif'. */
  readonly extension: string;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
  /** The operations actually applied, in order, with the parameters drawn. */
  readonly operations: AppliedOperation[];
  /** The source's labels moved with the pixels, when the source has labels. */
  readonly labels?: VariantLabels & { readonly dropped: readonly DroppedLabel[] };
}

/** Labels that travel with an image. */
export interface VariantLabels {
  readonly labels: ImageLabels;
}

/** An 8-bit interleaved sRGB(A) pixel buffer. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

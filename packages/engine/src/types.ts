import type { AppliedOperation, DroppedLabel, ImageLabels, OutputFormat } from '@delta-augment/core';

export type { OutputFormat, ResolvedPipeline } from '@delta-augment/core';

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

/** Another image of the job that mosaic (and the like) may use, with its labels. */
export interface Partner {
  readonly source: DecodedSource;
  readonly labels?: ImageLabels;
  /** How the manifest names it (its source name). */
  readonly name: string;
}

/** The other images of the job (same split) a variant may draw from: `count` of them, loaded on demand. */
export interface Partners {
  readonly count: number;
  /** Image `k`, 0 ≤ k < count, in an order that does not depend on the worker. */
  readonly load: (k: number) => Promise<Partner>;
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

/** The drawn layout of a mosaic: where the quadrants meet, and which slot the image itself takes. */
export interface MosaicLayout {
  /** Integer pixel where the four quadrants meet. */
  readonly centreX: number;
  readonly centreY: number;
  /** Quadrant of the image itself: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. */
  readonly quadrant: number;
}

/** One object drawn for copy-paste: uniform draws, resolved once the other image's labels are known. */
export interface PastePick {
  /** Which of the qualifying objects (still unpicked), as a share of their count. */
  readonly pick: number;
  /** Size factor. */
  readonly scale: number;
  /** Where the object goes, as a share of the room left beside it (horizontal, vertical). */
  readonly x: number;
  readonly y: number;
}

/**
 * The label model shared by every dataset format: pixel coordinates on a continuous grid whose
 * origin is the top-left corner of the top-left pixel (COCO's convention), categories by index.
 */

/** A point (x, y) in pixels. */
export type Point = readonly [number, number];

/** An axis-aligned box in pixels: top-left corner and size. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** COCO keypoint visibility: 0 not labelled (or outside), 1 labelled but hidden, 2 visible. */
export type Visibility = 0 | 1 | 2;

export interface Keypoint {
  readonly x: number;
  readonly y: number;
  readonly v: Visibility;
}

/** COCO's uncompressed run-length encoding: column-major runs over a height × width grid, starting with 0s. */
export interface Rle {
  readonly height: number;
  readonly width: number;
  readonly counts: readonly number[];
}

/** One labelled object of an image. */
export interface LabelObject {
  /** Index into the dataset's categories. */
  readonly category: number;
  readonly box: Box;
  /** Outline(s) of the object, each at least 3 points. */
  readonly polygons?: readonly (readonly Point[])[];
  readonly mask?: Rle;
  readonly keypoints?: readonly Keypoint[];
  /** COCO `iscrowd`. */
  readonly crowd?: boolean;
}

/** The labels of one image, in that image's pixel space. */
export interface ImageLabels {
  readonly width: number;
  readonly height: number;
  readonly objects: readonly LabelObject[];
}

export interface Category {
  readonly name: string;
  /** Keypoint names (pose datasets). */
  readonly keypoints?: readonly string[];
  /** Pairs of 1-based keypoint indices (COCO `skeleton`). */
  readonly skeleton?: readonly (readonly [number, number])[];
}

export const SPLITS = ['train', 'valid', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const LABEL_FORMATS = ['coco', 'yolo', 'voc', 'folders'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

/** An item that `onLabelError=skip` left out, and why. */
export interface SkippedItem {
  readonly file: string;
  readonly line?: number;
  readonly reason: string;
}

/** Why a label did not make it into an output. */
export interface DroppedLabel {
  /** Index of the object in the source's labels. */
  readonly index: number;
  readonly category: number;
  readonly reason: string;
}

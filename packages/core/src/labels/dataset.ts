import { LabelError } from './errors.js';
import type { Category, ImageLabels, LabelFormat, SkippedItem, Split } from './model.js';

/** The files of an uploaded dataset zip, by their path in the zip. */
export interface DatasetFiles {
  /** Label files (.json, .txt, .yaml/.yml, .xml) as text. */
  readonly texts: ReadonlyMap<string, string>;
  /** Images, with their pixel sizes. */
  readonly images: ReadonlyMap<string, { readonly width: number; readonly height: number }>;
}

/** One image of a parsed dataset. */
export interface LabelledItem {
  /** Path of the image in the zip. */
  readonly image: string;
  /** The split the input put it in, if any. */
  readonly split?: Split;
  /** Class-folder datasets: the folder. */
  readonly folder?: string;
  readonly labels: ImageLabels;
}

export interface ParsedDataset {
  readonly format: LabelFormat;
  readonly categories: readonly Category[];
  readonly items: readonly LabelledItem[];
  readonly skipped: readonly SkippedItem[];
}

export type OnLabelError = 'fail' | 'skip';

/**
 * Collects label problems: with `fail` the first one is thrown; with `skip` the item it belongs to is
 * left out and listed. Problems that belong to no single item are always thrown.
 */
export class Problems {
  readonly skipped: SkippedItem[] = [];
  readonly #bad = new Set<string>();
  constructor(readonly mode: OnLabelError) {}

  report(error: LabelError, image?: string): void {
    if (this.mode === 'fail' || image === undefined) throw error;
    this.#bad.add(image);
    this.skipped.push({
      file: error.file,
      ...(error.line === undefined ? {} : { line: error.line }),
      reason: error.reason,
    });
  }

  isBad(image: string): boolean {
    return this.#bad.has(image);
  }
}

const SPLIT_NAMES: Readonly<Record<string, Split>> = {
  train: 'train',
  training: 'train',
  valid: 'valid',
  val: 'valid',
  validation: 'valid',
  test: 'test',
  testing: 'test',
};

/** The split a path names with one of its folders (`train/`, `valid/` or `val/`, `test/`), if any. */
export const splitOfPath = (path: string): Split | undefined => {
  const folders = path.split('/').slice(0, -1);
  for (let i = folders.length - 1; i >= 0; i--) {
    const split = SPLIT_NAMES[(folders[i] as string).toLowerCase()];
    if (split !== undefined) return split;
  }
  return undefined;
};

export const dirOf = (path: string): string => {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
};

export const joinPath = (...parts: string[]): string => {
  const out: string[] = [];
  for (const part of parts.join('/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
};

export const baseOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
export const stemOf = (path: string): string => baseOf(path).replace(/\.[^.]+$/, '');

/** Finds an image by a name a label file gives, trying each candidate folder, then a unique base name. */
export const findImage = (files: DatasetFiles, name: string, folders: readonly string[]): string | undefined => {
  for (const folder of folders) {
    const path = joinPath(folder, name);
    if (files.images.has(path)) return path;
  }
  const base = baseOf(name.replace(/\\/g, '/'));
  const matches = [...files.images.keys()].filter((p) => baseOf(p) === base);
  return matches.length === 1 ? matches[0] : undefined;
};

/** A finite number or a LabelError. */
export const numberAt = (value: unknown, file: string, line: number | undefined, what: string): number => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new LabelError(file, line, `${what} must be a number, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return n;
};

/** Box edges may stray this far (pixels) past the image from rounding; they are clipped. Further is an error. */
export const EDGE_TOLERANCE_PX = 1;

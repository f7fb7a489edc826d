import { looksLikeCoco, parseCoco } from './coco.js';
import type { DatasetFiles, OnLabelError, ParsedDataset } from './dataset.js';
import type { LabelFormat } from './model.js';
import { looksLikeVoc, parseVoc } from './voc.js';
import { parseYolo, readYoloConfig } from './yolo.js';

/** The layout of a dataset zip, from its files: COCO JSON, then YOLO data.yaml, then VOC XML, else class folders. */
export const detectFormat = (files: DatasetFiles): LabelFormat => {
  const texts = [...files.texts.entries()];
  if (texts.some(([p, t]) => p.toLowerCase().endsWith('.json') && looksLikeCoco(t))) return 'coco';
  if (readYoloConfig(files) !== undefined) return 'yolo';
  if (texts.some(([p, t]) => p.toLowerCase().endsWith('.xml') && looksLikeVoc(t))) return 'voc';
  return 'folders';
};

/** Parses a labelled dataset (not class folders) in the given layout. */
export const parseLabelled = (
  format: Exclude<LabelFormat, 'folders'>,
  files: DatasetFiles,
  mode: OnLabelError,
): ParsedDataset => {
  switch (format) {
    case 'coco':
      return parseCoco(files, mode);
    case 'yolo':
      return parseYolo(files, mode);
    case 'voc':
      return parseVoc(files, mode);
  }
};

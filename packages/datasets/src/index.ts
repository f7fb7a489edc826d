/**
 * Reading datasets: sniffing and checking images, walking a dataset zip (class folders, labelled layouts),
 * and expanding a job's uploaded dataset zip into its sources. Used by the gateway (multipart uploads) and by
 * the workers (the local worker pool and the augmenter Lambda), which need none of the HTTP side.
 */
export { type DatasetExpansionDeps, deterministicSourceId, expandDataset } from './dataset-expansion.js';
export {
  type DatasetFile,
  type DatasetLimits,
  type DatasetZip,
  extractDataset,
  type ImageEntry,
  labelled,
  openZip,
  readDatasetZip,
  walkDatasetZip,
} from './dataset-zip.js';
export { badRequest, RequestError, tooLarge, unsupported } from './errors.js';
export { type CheckedImage, checkImage } from './image-check.js';
export {
  type DatasetFields,
  datasetFormat,
  type LabelledImage,
  type PreparedDataset,
  parseDatasetFields,
  prepareDataset,
  wantsDatasetJob,
} from './labelled-dataset.js';
export { checkOutputBudget } from './output-budget.js';
export {
  CONTENT_TYPES,
  type HeaderDimensions,
  headerDimensions,
  IMAGE_TYPES,
  type SniffedType,
  sniffType,
} from './sniff.js';

/** The Node side of the client: the `augment` round trip and its parts (scan, upload, watch, download). */
export {
  type AugmentEvent,
  type AugmentOptions,
  type AugmentResult,
  augment,
  JobFailedError,
  type JobOptions,
} from './augment.js';
export { downloadAndExtract, downloadArchive, extractZip } from './download.js';
export {
  IMAGE_EXTENSIONS,
  InputError,
  type InputFile,
  LABEL_EXTENSIONS,
  type ScannedInput,
  scanInput,
} from './scan.js';
export { CONTENT_TYPES, uploadSources } from './upload.js';
export { watchJob } from './watch.js';

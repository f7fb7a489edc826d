/** The form fields of a dataset zip upload, as the gateway records them by default. */
export const DATASET_ZIP_FIELDS = {
  format: 'auto',
  onLabelError: 'fail',
  minVisibility: 0.25,
  augmentSplits: 'train',
  includeOriginals: false,
} as const;

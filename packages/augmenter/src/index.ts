export { type ManifestEntry, writeArchive } from './archive.js';
export { type ArchiveDeps, createArchiveHandler } from './archive-handler.js';
export { archiveRequestBody, parseArchiveRequest, queueArchiveRequests } from './archive-requests.js';
export { deadlineMarginMs, deadlineOf } from './deadline.js';
export {
  PipelineSpecError,
  PRESETS,
  type Preview,
  type PreviewVariant,
  pipelineJsonSchema,
  renderPreview,
  resolvePipeline,
} from './engine/index.js';
export { type FinaliseDeps, finaliseJob, finaliseOrGiveUp } from './finalise-job.js';
export { createHandler } from './handler.js';
export { createLocalWorkerPool } from './local-worker.js';
export { type ProcessDeps, processSource } from './process-source.js';
export type { HandlerContext, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

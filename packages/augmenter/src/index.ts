export { type ManifestEntry, writeArchive } from './archive.js';
export { PipelineSpecError, PRESETS, pipelineJsonSchema, resolvePipeline } from './engine/index.js';
export { type FinaliseDeps, finaliseJob } from './finalise-job.js';
export { createHandler } from './handler.js';
export { createLocalWorkerPool } from './local-worker.js';
export { type ProcessDeps, processSource } from './process-source.js';
export type { HandlerContext, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

export { createHandler } from './handler.js';
export { type ProcessDeps, processSource, finaliseJob } from './process-source.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';
export { createLocalWorkerPool } from './local-worker.js';
export { manifestOf, manifestCsv, writeArchive } from './archive.js';
export type { SQSEvent, SQSRecord, SQSBatchResponse, SQSHandler, HandlerContext } from './sqs-types.js';
export { PRESETS, pipelineJsonSchema, resolvePipeline, PipelineSpecError } from './engine/index.js';

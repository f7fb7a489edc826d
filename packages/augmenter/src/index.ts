export { manifestCsv, manifestOf, writeArchive } from './archive.js';
export { createHandler } from './handler.js';
export { createLocalWorkerPool } from './local-worker.js';
export { finaliseJob, type ProcessDeps, processSource } from './process-source.js';
export type { HandlerContext, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

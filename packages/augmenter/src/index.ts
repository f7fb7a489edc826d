export { manifestCsv, manifestOf, writeArchive } from './archive.js';
export { type ArchiveDeps, createArchiveHandler } from './archive-handler.js';
export { archiveRequestBody, parseArchiveRequest, queueArchiveRequests } from './archive-requests.js';
export { deadlineMarginMs, deadlineOf } from './deadline.js';
export { createHandler } from './handler.js';
export { createLocalWorkerPool } from './local-worker.js';
export { finaliseJob, finaliseOrGiveUp, type ProcessDeps, processSource } from './process-source.js';
export type { HandlerContext, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

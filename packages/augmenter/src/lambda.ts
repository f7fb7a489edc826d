/**
 * The AWS Lambda entries, on the AWS adapters: `handler` (the augmenter, fed by the upload queue: the
 * same handler as the local worker pool), `archiveHandler` (the archiver, fed by the archive queue) and
 * `retentionHandler` (the stack's one retention sweep, on a schedule). One bundle holds them all, so
 * the functions always run the same commit. Configured by the environment
 * the Pulumi program sets (QUEUE_URL, DLQ_URL, ARCHIVE_QUEUE_URL, ARCHIVE_DLQ_URL, SOURCE_BUCKET,
 * RESULT_BUCKET, TABLE_NAME, EVENT_BUS_NAME, MAX_RECEIVE_COUNT, MAX_PIXELS, MAX_FILE_BYTES,
 * RENDER_CONCURRENCY). Lambda passes its context as the second argument; the augmenter reads its
 * deadline from `getRemainingTimeInMillis()`.
 */
import { expandDataset } from '@delta-augment/datasets';
import { ARCHIVE_QUEUE, deleteExpiredJobs, deleteJobData, JobService, loadConfig } from '@delta-augment/ports';
import { awsPorts } from '@delta-augment/ports/aws';
import { createArchiveHandler } from './archive-handler.js';
import { queueArchiveRequests } from './archive-requests.js';
import { PixelGate } from './budget.js';
import { createHandler } from './handler.js';

const config = loadConfig();
const ports = awsPorts(config);
const jobs = new JobService(ports.events, ports.bus);
const log = (message: string, fields?: Record<string, unknown>) =>
  console.log(JSON.stringify({ msg: message, ...fields }));

export const handler = createHandler({
  blobs: ports.blobs,
  jobs,
  limits: { maxPixels: config.maxPixels, maxInputBytes: config.maxFileBytes },
  budgets: config.budgets,
  decodeGate: new PixelGate(config.budgets.workerDecodePixels),
  maxReceiveCount: config.maxReceiveCount,
  // Fixed, not the vCPU count: the function's memory is sized for exactly this many renders per source.
  renderConcurrency: config.renderConcurrency,
  ...(config.aws.archiveQueueUrl ? { requestFinalise: queueArchiveRequests(ports.queue, ARCHIVE_QUEUE) } : {}),
  // A dataset zip uploaded through a signed URL: read from S3 with ranged GetObjects, recorded in steps.
  expandDataset: (jobId) => expandDataset({ jobs, blobs: ports.blobs, config, log }, jobId),
  log,
});

export const archiveHandler = createArchiveHandler({
  blobs: ports.blobs,
  jobs,
  maxReceiveCount: config.maxReceiveCount,
  log,
});

/** Deletes the jobs past their retention with their blobs (what DynamoDB TTL and S3 lifecycle have not yet). */
export const retentionHandler = async (): Promise<{ removed: number }> => {
  const removed = await deleteExpiredJobs(
    ports.events,
    (jobId) => deleteJobData(ports, jobId),
    new Date().toISOString(),
  );
  log('expired jobs deleted', { removed });
  return { removed };
};

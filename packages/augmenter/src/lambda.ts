/**
 * The AWS Lambda entry: the same handler as the local worker pool, on the AWS adapters. Configured by
 * the environment the Pulumi program sets (QUEUE_URL, DLQ_URL, SOURCE_BUCKET, RESULT_BUCKET, TABLE_NAME,
 * EVENT_BUS_NAME, MAX_RECEIVE_COUNT, MAX_PIXELS, MAX_FILE_BYTES, RENDER_CONCURRENCY). Lambda passes its context
 * as the second argument; the handler reads its deadline from `getRemainingTimeInMillis()`.
 */
import { awsPorts, JobService, loadConfig } from '@delta-augment/shared';
import { createHandler } from './handler.js';

const config = loadConfig();
const ports = awsPorts(config);

export const handler = createHandler({
  blobs: ports.blobs,
  jobs: new JobService(ports.events, ports.bus),
  limits: { maxPixels: config.maxPixels, maxInputBytes: config.maxFileBytes },
  maxReceiveCount: config.maxReceiveCount,
  // Fixed, not the vCPU count: the function's memory is sized for exactly this many renders per source.
  renderConcurrency: config.renderConcurrency,
  log: (message, fields) => console.log(JSON.stringify({ msg: message, ...fields })),
});

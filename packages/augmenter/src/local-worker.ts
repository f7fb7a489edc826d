import { type Config, JobService, type Ports, UPLOAD_QUEUE } from '@delta-augment/ports';
import { PixelGate } from './budget.js';
import { createHandler, type DatasetExpander } from './handler.js';
import { WorkerPool } from './worker-pool.js';

/**
 * Sources a local worker process decodes and renders at once. A worker runs on one core: two sources (each
 * RENDER_CONCURRENCY variants at once) keep it busy, and the other records of its batches wait their turn
 * instead of holding their decoded pixels and variant buffers all at once.
 */
const SOURCES_AT_ONCE = 2;

/**
 * The augmenter pool of the local stack: the Lambda handler fed by the local work queue. `jobs` is the
 * service its records go through (the worker process reads its conflict count at shutdown).
 */
export const createLocalWorkerPool = (
  config: Config,
  ports: Ports,
  log?: (message: string, fields?: Record<string, unknown>) => void,
  jobs: JobService = new JobService(ports.events, ports.bus),
  options: { readonly expandDataset?: DatasetExpander } = {},
): WorkerPool => {
  const handler = createHandler({
    ...options,
    blobs: ports.blobs,
    jobs,
    limits: { maxPixels: config.maxPixels, maxInputBytes: config.maxFileBytes },
    budgets: config.budgets,
    decodeGate: new PixelGate(config.budgets.workerDecodePixels),
    sourceGate: new PixelGate(SOURCES_AT_ONCE),
    maxReceiveCount: config.maxReceiveCount,
    renderConcurrency: config.renderConcurrency,
    log,
  });
  return new WorkerPool({
    queue: ports.queue,
    queueName: UPLOAD_QUEUE,
    handler,
    batchSize: config.batchSize,
    batchWindowSeconds: config.batchWindowSeconds,
    maxConcurrency: config.workerConcurrency,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    handlerTimeoutSeconds: config.handlerTimeoutSeconds,
    log,
  });
};

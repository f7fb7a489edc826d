import { type Config, JobService, type Ports, UPLOAD_QUEUE } from '@delta-augment/ports';
import { PixelGate } from './budget.js';
import { createHandler, type DatasetExpander } from './handler.js';
import { WorkerPool } from './worker-pool.js';

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

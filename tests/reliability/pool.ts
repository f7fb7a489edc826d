import { join } from 'node:path';
import { createHandler, type SQSEvent, type SQSHandler, WorkerPool } from '@delta-augment/augmenter';
import { type Config, JobService, loadConfig, type QueueMessage, UPLOAD_QUEUE } from '@delta-augment/ports';
import { type LocalPorts, localPorts } from '@delta-augment/ports/local';
import { tempDir } from '../helpers/server.js';

/** Local ports on a fresh data dir, with the queue settings a fault test needs. */
export interface Stage {
  readonly config: Config;
  readonly ports: LocalPorts;
  readonly jobs: JobService;
  /** Another set of connections on the same files, as a second process would hold. */
  reopen(): { ports: LocalPorts; jobs: JobService };
  /** The real Lambda handler on these ports. */
  handler(jobs?: JobService, ports?: LocalPorts): SQSHandler;
  /** The real worker pool around `handler` (by default the real one). */
  pool(handler?: SQSHandler, overrides?: Partial<ConstructorParameters<typeof WorkerPool>[0]>): WorkerPool;
  /** Path of an object in the blob directory. */
  blobPath(key: string): string;
  close(): Promise<void>;
}

export const stage = (env: Record<string, string> = {}): Stage => {
  const config = loadConfig({
    DATA_DIR: tempDir('delta-rel-'),
    HANDLER_TIMEOUT_SECONDS: '5',
    VISIBILITY_TIMEOUT_SECONDS: '5',
    MAX_RECEIVE_COUNT: '5',
    ...env,
  });
  const opened: LocalPorts[] = [];
  const pools: WorkerPool[] = [];
  const open = () => {
    const ports = localPorts(config);
    opened.push(ports);
    return { ports, jobs: new JobService(ports.events, ports.bus) };
  };
  const first = open();
  const handler = (jobs = first.jobs, ports = first.ports) =>
    createHandler({
      blobs: ports.blobs,
      jobs,
      limits: { maxPixels: config.maxPixels, maxInputBytes: config.maxFileBytes },
      maxReceiveCount: config.maxReceiveCount,
      renderConcurrency: 1,
    });
  return {
    config,
    ports: first.ports,
    jobs: first.jobs,
    reopen: open,
    handler,
    pool: (h = handler(), overrides = {}) => {
      const pool = new WorkerPool({
        queue: first.ports.queue,
        queueName: UPLOAD_QUEUE,
        handler: h,
        batchSize: config.batchSize,
        batchWindowSeconds: 0,
        maxConcurrency: 1,
        visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
        handlerTimeoutSeconds: config.handlerTimeoutSeconds,
        ...overrides,
      });
      pools.push(pool);
      return pool;
    },
    blobPath: (key) => join(config.dataDir, 'blobs', 'objects', ...key.split('/')),
    close: async () => {
      for (const pool of pools) await pool.stop(5000);
      for (const ports of opened) await ports.close();
    },
  };
};

/** Resolves when the upload queue holds nothing visible or in flight. */
export const queueDrained = async (ports: LocalPorts): Promise<true | undefined> => {
  const stats = await ports.queue.stats(UPLOAD_QUEUE);
  return stats.visible + stats.inFlight + stats.delayed === 0 ? true : undefined;
};

/** The SQS event the event source mapping would build from received messages. */
export const eventOf = (messages: readonly QueueMessage[]): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: { ...m.attributes, SenderId: 'local' },
    messageAttributes: {},
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${UPLOAD_QUEUE}`,
    awsRegion: 'local',
  })),
});

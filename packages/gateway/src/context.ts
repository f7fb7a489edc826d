import { type Clock, objectCreatedEvent } from '@delta-augment/core';
import {
  type BlobStore,
  type Config,
  deleteJobData,
  type JobService,
  type Ports,
  UPLOAD_QUEUE,
  type WebhookOutbox,
} from '@delta-augment/ports';
import type { Metrics } from './metrics.js';
import type { WebhookSettings } from './webhooks/settings.js';

/** Everything the routes need, built once by `buildApp`. */
export interface GatewayContext {
  readonly config: Config;
  readonly ports: Ports;
  readonly blobs: BlobStore;
  readonly jobs: JobService;
  readonly clock: Clock;
  readonly retentionDays: number;
  readonly metrics: Metrics;
  readonly signedUrlSeconds: number;
  /** The webhook outbox and its settings, where this deployment delivers webhooks (the local stack). */
  readonly webhooks?: { readonly outbox: WebhookOutbox; readonly settings: WebhookSettings };
  /**
   * Deletes a job's events, then every file under its prefixes (unfinished writes included). The events go
   * first: a worker still rendering the job sees it gone, stops, and sweeps what it writes after this.
   */
  deleteJob(jobId: string): Promise<void>;
  /** Queues an ObjectCreated message for an existing source object again (retry). */
  resend(key: string, size: number): Promise<void>;
}

export const createContext = (
  config: Config,
  ports: Ports,
  jobs: JobService,
  clock: Clock,
  metrics: Metrics,
): GatewayContext => ({
  config,
  ports,
  blobs: ports.blobs,
  jobs,
  clock,
  retentionDays: config.retentionDays,
  metrics,
  signedUrlSeconds: 900,
  deleteJob: (jobId) => deleteJobData(ports, jobId),
  async resend(key, size) {
    await ports.queue.send(
      UPLOAD_QUEUE,
      JSON.stringify(objectCreatedEvent(config.aws.sourceBucket, key, size, clock.now())),
    );
  },
});

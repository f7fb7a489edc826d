import { join } from 'node:path';
import { LocalBlobStore } from './blob-store/local.js';
import type { BlobStore } from './blob-store/port.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, DEAD_LETTER_QUEUE, UPLOAD_QUEUE } from './config.js';
import { SqliteEventBus } from './event-bus/local.js';
import type { EventBus } from './event-bus/port.js';
import { SqliteJobEventStore } from './job-event-store/local.js';
import type { JobEventStore } from './job-event-store/port.js';
import { SqliteWorkQueue } from './work-queue/local.js';
import type { QueueConfig, WorkQueue } from './work-queue/port.js';

/** The four ports, as every service receives them. */
export interface Ports {
  readonly blobs: BlobStore;
  readonly events: JobEventStore;
  readonly queue: WorkQueue;
  readonly bus: EventBus;
  close(): Promise<void>;
}

export const localQueueConfig = (
  config: Pick<Config, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>,
): Record<string, QueueConfig> => ({
  [UPLOAD_QUEUE]: {
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    retentionSeconds: 4 * 24 * 3600,
    deadLetter: { queue: DEAD_LETTER_QUEUE, maxReceiveCount: config.maxReceiveCount },
  },
  [DEAD_LETTER_QUEUE]: { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds, retentionSeconds: 14 * 24 * 3600 },
});

export interface LocalPorts extends Ports {
  readonly queue: SqliteWorkQueue;
}

/** The embedded stand-ins under DATA_DIR: SQLite files and a blob directory. Safe to open from several processes. */
export const localPorts = (
  config: Pick<Config, 'dataDir' | 'visibilityTimeoutSeconds' | 'maxReceiveCount' | 'signingSecret'> & {
    signedUrlBase?: string | (() => string);
  },
  clock: Clock = systemClock,
): LocalPorts => {
  const queue = new SqliteWorkQueue(join(config.dataDir, 'queue.sqlite'), localQueueConfig(config), clock);
  const events = new SqliteJobEventStore(join(config.dataDir, 'events.sqlite'), clock);
  const bus = new SqliteEventBus(join(config.dataDir, 'bus.sqlite'), 10, clock);
  const blobs = new LocalBlobStore({
    root: join(config.dataDir, 'blobs'),
    bucket: 'local',
    signingSecret: config.signingSecret,
    signedUrlBase: config.signedUrlBase,
    notify: { prefix: 'sources/', queue: UPLOAD_QUEUE, workQueue: queue },
    clock,
  });
  return {
    blobs,
    events,
    queue,
    bus,
    close: async () => {
      await Promise.all([queue.close(), events.close(), bus.close()]);
    },
  };
};

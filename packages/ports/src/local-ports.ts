import { join } from 'node:path';
import { type Clock, systemClock } from '@delta-augment/core';
import { LocalBlobStore } from './blob-store/local.js';
import { type Config, DEAD_LETTER_QUEUE, UPLOAD_QUEUE } from './config.js';
import { SqliteEventBus } from './event-bus/local.js';
import { SqliteJobEventStore } from './job-event-store/local.js';
import type { Ports } from './ports.js';
import { SqliteWorkQueue } from './work-queue/local.js';
import type { QueueConfig } from './work-queue/port.js';

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
  readonly blobs: LocalBlobStore;
}

/** The embedded stand-ins under DATA_DIR: SQLite files and a blob directory. Safe to open from several processes. */
export const localPorts = (
  config: Pick<Config, 'dataDir' | 'visibilityTimeoutSeconds' | 'maxReceiveCount' | 'signingSecret'> & {
    /** MIN_FREE_DISK_BYTES: below it the blob store reports not ready. */
    minFreeDiskBytes?: number;
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
    ...(config.minFreeDiskBytes !== undefined ? { minFreeBytes: config.minFreeDiskBytes } : {}),
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

import type { BlobStore } from './blob-store/port.js';
import type { EventBus } from './event-bus/port.js';
import type { JobEventStore } from './job-event-store/port.js';
import type { WorkQueue } from './work-queue/port.js';

/** The four ports, as every service receives them. */
export interface Ports {
  readonly blobs: BlobStore;
  readonly events: JobEventStore;
  readonly queue: WorkQueue;
  readonly bus: EventBus;
  close(): Promise<void>;
}

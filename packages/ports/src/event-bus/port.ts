import type { JobEvent } from '@delta-augment/core';

export type JobEventListener = (event: JobEvent) => void;

/** Job notifications (EventBridge PutEvents in AWS). Delivery is at least once and per-job ordered only by `seq`. */
export interface EventBus {
  publish(events: readonly JobEvent[]): Promise<void>;
  /** Events published from now on, by any process sharing the bus. Returns the unsubscribe function. */
  subscribe(listener: JobEventListener): () => void;
  close(): Promise<void>;
}

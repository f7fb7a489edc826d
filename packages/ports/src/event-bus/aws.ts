import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { JobEvent } from '@delta-augment/core';
import { DeltaError, TransientError } from '@delta-augment/core';
import { awsCall, sleep } from '../aws-errors.js';
import type { EventBus, JobEventListener } from './port.js';

export interface EventBridgeBusOptions {
  /** `source` of every entry; default `delta-augment.jobs` (the rules in infra match on it). */
  readonly source?: string;
  /** Retries of entries PutEvents reported as failed; default 3. */
  readonly retries?: number;
  /** First back-off between retries, doubled each time; default 100 ms. */
  readonly retryDelayMs?: number;
}

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_LIMIT = 10;

/** What an EventBridge target receives: the envelope around the `Detail` that `publish` sent. */
export interface EventBridgeEnvelope {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail: unknown;
}

const isJobEvent = (value: unknown): value is JobEvent =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as JobEvent).jobId === 'string' &&
  typeof (value as JobEvent).seq === 'number' &&
  typeof (value as JobEvent).type === 'string';

/**
 * EventBridge job bus. `publish` sends PutEvents in chunks of 10 entries (`DetailType` = the event
 * type, `Detail` = the event as JSON) and retries the entries EventBridge reports as failed, with
 * back-off, before giving up with a `TransientError`.
 *
 * EventBridge has no pull API, so `subscribe` cannot read the bus: it registers a listener that
 * `deliver` feeds. Whatever receives the bus's rule target (the notifier's HTTP or queue ingress)
 * calls `deliver` with each event it gets.
 */
export class EventBridgeBus implements EventBus {
  private readonly listeners = new Set<JobEventListener>();
  private readonly source: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly eventBridge: EventBridgeClient,
    private readonly busName: string,
    options: EventBridgeBusOptions = {},
  ) {
    this.source = options.source ?? 'delta-augment.jobs';
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_LIMIT) {
      await this.putChunk(events.slice(start, start + PUT_EVENTS_LIMIT));
    }
  }

  private async putChunk(events: readonly JobEvent[]): Promise<void> {
    let pending: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.busName,
      Source: this.source,
      DetailType: event.type,
      Detail: JSON.stringify(event),
      Time: new Date(event.at),
    }));
    for (let attempt = 0; ; attempt++) {
      const entries = pending;
      const out = await awsCall(`eventbridge put ${entries.length} events`, () =>
        this.eventBridge.send(new PutEventsCommand({ Entries: entries })),
      );
      if (!out.FailedEntryCount) return;
      // Result entries line up with request entries; a failed one carries an ErrorCode.
      const results = out.Entries ?? [];
      const failed = entries.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined);
      if (failed.length === 0) return;
      if (attempt >= this.retries) {
        const codes = [...new Set(results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))].join(', ');
        throw new TransientError(
          `eventbridge: ${failed.length} of ${events.length} entries still failing after ${attempt + 1} tries (${codes})`,
        );
      }
      pending = failed;
      await sleep(this.retryDelayMs * 2 ** attempt);
    }
  }

  subscribe(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Hands one received event to every subscriber. Accepts the job event itself or the EventBridge
   * envelope around it (`detail` as an object or JSON text); throws `DeltaError('INVALID_EVENT')` otherwise.
   */
  deliver(received: JobEvent | EventBridgeEnvelope | string): JobEvent {
    const value: unknown = typeof received === 'string' ? parseJson(received) : received;
    const detail = isJobEvent(value) ? value : (value as EventBridgeEnvelope | undefined)?.detail;
    const event = typeof detail === 'string' ? parseJson(detail) : detail;
    if (!isJobEvent(event))
      throw new DeltaError('INVALID_EVENT', 'not a job event or an EventBridge envelope around one');
    for (const listener of this.listeners) listener(event);
    return event;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DeltaError('INVALID_EVENT', 'event is not JSON', { cause: error });
  }
};

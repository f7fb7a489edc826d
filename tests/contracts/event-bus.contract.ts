import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { JobEvent, JobEventBody } from '../../packages/core/src/jobs/events.js';
import type { EventBus } from '../../packages/ports/src/event-bus/port.js';
import { jobCreated, sourceStarted, sourceUploaded, variantsWritten } from './helpers/job-events.js';
import { waitFor } from './helpers/wait.js';

export interface EventBusFixture {
  /** A bus nothing else publishes on. */
  readonly bus: EventBus;
  cleanup(): Promise<void>;
}

const stamp = (jobId: string, seq: number, body: JobEventBody): JobEvent =>
  ({ ...body, jobId, seq, at: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString() }) as JobEvent;

/** A stream of `count` events of one job, seq 1..count. */
export const streamOf = (jobId: string, count: number): JobEvent[] =>
  Array.from({ length: count }, (_, i) =>
    stamp(
      jobId,
      i + 1,
      i === 0
        ? jobCreated()
        : ([sourceUploaded(), sourceStarted(), variantsWritten('s1', [i])][i % 3] ?? sourceUploaded()),
    ),
  );

export const describeEventBusContract = (name: string, factory: () => Promise<EventBusFixture>): void => {
  describe(`EventBus contract: ${name}`, () => {
    let fx: EventBusFixture;
    let bus: EventBus;
    beforeEach(async () => {
      fx = await factory();
      bus = fx.bus;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('when events are published', () => {
      it('reaches a subscriber with every event intact', async () => {
        // Prepare
        const received: JobEvent[] = [];
        bus.subscribe((event) => received.push(event));
        const events = streamOf('job-1', 3);
        // Act
        await bus.publish(events);
        // Assess
        await waitFor('3 events', () => received.length >= 3);
        assert.deepEqual(received, events);
      });

      it('reaches every subscriber', async () => {
        const first: JobEvent[] = [];
        const second: JobEvent[] = [];
        bus.subscribe((event) => first.push(event));
        bus.subscribe((event) => second.push(event));
        await bus.publish(streamOf('job-1', 2));
        await waitFor('both subscribers', () => first.length >= 2 && second.length >= 2);
        assert.deepEqual(first, second);
      });

      it('keeps each job’s events in seq order across publishes and interleaved jobs', async () => {
        // Prepare
        const received: JobEvent[] = [];
        bus.subscribe((event) => received.push(event));
        const a = streamOf('job-a', 23);
        const b = streamOf('job-b', 7);
        // Act
        await bus.publish([...a.slice(0, 12), ...b.slice(0, 3)]);
        await bus.publish([...b.slice(3), ...a.slice(12)]);
        // Assess
        await waitFor('30 events', () => received.length >= 30);
        const seqOf = (jobId: string) => received.filter((e) => e.jobId === jobId).map((e) => e.seq);
        assert.deepEqual(
          seqOf('job-a'),
          a.map((e) => e.seq),
        );
        assert.deepEqual(
          seqOf('job-b'),
          b.map((e) => e.seq),
        );
      });
    });

    describe('when a listener unsubscribes', () => {
      it('receives nothing published afterwards', async () => {
        const gone: JobEvent[] = [];
        const staying: JobEvent[] = [];
        const unsubscribe = bus.subscribe((event) => gone.push(event));
        bus.subscribe((event) => staying.push(event));
        unsubscribe();
        await bus.publish(streamOf('job-1', 2));
        await waitFor('the remaining subscriber', () => staying.length >= 2);
        assert.deepEqual(gone, []);
      });
    });
  });
};

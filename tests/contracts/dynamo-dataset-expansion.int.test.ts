import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { type DynamoDBClient, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { type DynaliteHandle, startDynalite } from '../../apps/aws-emulated/src/dynalite.js';
import type { JobEvent } from '../../packages/core/src/jobs/events.js';
import { SOURCES_PER_EXPANSION_STEP } from '../../packages/core/src/jobs/events.js';
import type { EventBus } from '../../packages/ports/src/event-bus/port.js';
import { DynamoDbJobEventStore } from '../../packages/ports/src/job-event-store/aws.js';
import { PartialAppendError } from '../../packages/ports/src/job-event-store/port.js';
import { JobService } from '../../packages/ports/src/job-service.js';
import { awaitingZip, namedTwice, zipImages } from './helpers/dataset-expansion.js';

/**
 * The expansion of a dataset zip on DynamoDB (dynalite) when the worker recording it dies half-way or when
 * two workers take the same upload message: the sources are recorded in steps, one transaction each, and
 * the expansion resumes from the job record. Nothing is duplicated, lost, or counted before all are recorded.
 */
let dynamo: DynaliteHandle;
before(async () => {
  dynamo = await startDynalite();
});
after(async () => {
  await dynamo.close();
});

const JOB = 'job-zip';
const COUNT = SOURCES_PER_EXPANSION_STEP * 3 + 10;
const images = zipImages(JOB, COUNT);

/** A bus that keeps what was published. */
const recordingBus = (): EventBus & { published: JobEvent[] } => {
  const published: JobEvent[] = [];
  return {
    published,
    publish: async (events) => {
      published.push(...events);
    },
    subscribe: () => () => {},
    close: async () => {},
  };
};

/** A client whose `failAt`-th TransactWriteItems fails, as if the Lambda were killed before it was sent. */
const dyingAt = (client: DynamoDBClient, failAt: number): DynamoDBClient => {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let transactions = 0;
  Object.assign(client, {
    send: async (command: unknown) => {
      if (command instanceof TransactWriteItemsCommand && ++transactions === failAt) throw new Error('Lambda killed');
      return send(command);
    },
  });
  return client;
};

const assertRecordedOnce = (events: readonly JobEvent[]) => {
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    'gap-free seqs',
  );
  assert.deepEqual(namedTwice(events), [], 'no source named twice');
  assert.equal(events.filter((e) => e.type === 'SourceUploaded').length, COUNT);
  assert.equal(events.filter((e) => e.type === 'DatasetExpanded').length, 1);
  assert.equal(events.at(-1)?.type, 'DatasetExpanded', 'DatasetExpanded written last');
};

describe('a dataset expansion on DynamoDB', () => {
  let clients: DynamoDBClient[];
  let table: string;
  const client = () => {
    const c = dynamo.client();
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    clients = [];
    table = await dynamo.createJobsTable();
    await new DynamoDbJobEventStore(client(), table).appendToJob(JOB, 0, [awaitingZip(JOB)]);
  });
  afterEach(() => {
    for (const c of clients) c.destroy();
  });

  describe('when the worker dies before its third step is written', () => {
    it('leaves two whole steps, counts no source yet, and the redelivered message records the rest once', async () => {
      // Prepare
      const bus = recordingBus();
      const dying = new JobService(new DynamoDbJobEventStore(dyingAt(client(), 3), table), bus);
      const command = { type: 'ExpandDataset', sources: images } as const;
      // Act
      const died = await dying.handleJob(JOB, command).catch((error: unknown) => error);
      const store = new DynamoDbJobEventStore(client(), table);
      const cut = await store.load(JOB);
      await new JobService(store, bus).handleJob(JOB, command);
      const again = await new JobService(store, bus).handleJob(JOB, command);
      // Assess
      assert.ok(died instanceof PartialAppendError, `the append stopped part-way: ${String(died)}`);
      assert.equal(died.committed.length, 2 * (1 + SOURCES_PER_EXPANSION_STEP));
      assert.equal(cut?.expandedSources, 2 * SOURCES_PER_EXPANSION_STEP);
      assert.equal(cut?.sourceCount, 0, 'no completion can be decided before every source is recorded');
      assert.equal((await store.sources(JOB, { limit: 1000 })).items.length, COUNT);
      assert.deepEqual(again.events, [], 'a third delivery decides nothing');
      const events = await store.read(JOB);
      assertRecordedOnce(events);
      assert.deepEqual(
        bus.published.map((e) => e.seq).sort((a, b) => a - b),
        events.slice(1).map((e) => e.seq),
        'every stored event published once, those of the dead worker too',
      );
      const job = await store.load(JOB);
      assert.equal(job?.sourceCount, COUNT);
      assert.equal(job?.counts.uploaded, COUNT);
      assert.equal(job?.status, 'queued');
    });
  });

  describe('when two workers expand the same zip at once (a duplicate message)', () => {
    it('records every source once: the loser of each step re-reads the job and decides only what is missing', async () => {
      // Prepare: one store per Lambda, so nothing in-process serialises them
      const workers = [1, 2].map(() => new JobService(new DynamoDbJobEventStore(client(), table), recordingBus()));
      // Act
      await Promise.all(workers.map((w) => w.handleJob(JOB, { type: 'ExpandDataset', sources: images })));
      // Assess
      const store = new DynamoDbJobEventStore(client(), table);
      assertRecordedOnce(await store.read(JOB));
      assert.equal((await store.sources(JOB, { limit: 1000 })).items.length, COUNT);
      assert.equal((await store.load(JOB))?.sourceCount, COUNT);
    });
  });

  describe('when the items are read back', () => {
    it('keeps every item far below 400 KB', async () => {
      // Act
      await new JobService(new DynamoDbJobEventStore(client(), table), recordingBus()).handleJob(JOB, {
        type: 'ExpandDataset',
        sources: images,
      });
      // Assess
      const items =
        (
          await client().send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: `JOB#${JOB}` } },
            }),
          )
        ).Items ?? [];
      const largest = Math.max(...items.map((i) => JSON.stringify(i).length));
      assert.ok(largest < 32 * 1024, `largest item ${largest} bytes`);
    });
  });
});

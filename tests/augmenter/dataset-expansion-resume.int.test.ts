import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { type JobEvent, newId, SOURCES_PER_EXPANSION_STEP } from '@delta-augment/core';
import { expandDataset } from '@delta-augment/datasets';
import { type EventBus, JobService, loadConfig } from '@delta-augment/ports';
import { DynamoDbJobEventStore } from '@delta-augment/ports/aws';
import { LocalBlobStore } from '@delta-augment/ports/local';
import { type DynaliteHandle, startDynalite } from '../../apps/aws-emulated/src/dynalite.js';
import { makeZip } from '../gateway/fixtures.js';
import { gradientJpeg } from '../helpers/images.js';
import { DATASET_ZIP_FIELDS } from '../helpers/jobs.js';
import { tempDir } from '../helpers/server.js';

/**
 * `expandDataset` (what the augmenter Lambda runs for a dataset zip's ObjectCreated message) on the DynamoDB
 * store, with a worker that dies part-way through recording the sources and a redelivered message that
 * finishes the job: the second reading of the zip names the same images with the same ids, skips the steps
 * already stored and records the rest, once.
 */
const IMAGES = 3 * SOURCES_PER_EXPANSION_STEP + 7;

let dynamo: DynaliteHandle;
let zip: Buffer;
before(async () => {
  dynamo = await startDynalite();
  const entries = [];
  for (let i = 0; i < IMAGES; i++)
    entries.push({ name: `set/${i % 2 ? 'dogs' : 'cats'}/${i}.jpg`, data: await gradientJpeg(16 + (i % 9), 12) });
  zip = await makeZip(entries);
});
after(() => dynamo.close());

const silentBus: EventBus = { publish: async () => {}, subscribe: () => () => {}, close: async () => {} };

/** A client whose `failAt`-th TransactWriteItems throws, as if the Lambda were killed then. */
const dyingAt = (client: DynamoDBClient, failAt: number): DynamoDBClient => {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let transactions = 0;
  return Object.assign(client, {
    send: async (command: unknown) => {
      if (command instanceof TransactWriteItemsCommand && ++transactions === failAt) throw new Error('Lambda killed');
      return send(command);
    },
  });
};

const config = loadConfig({ MAX_PIXELS: '4000000' });

describe('expanding an uploaded dataset zip on DynamoDB', () => {
  describe('when the worker dies after two of its steps and the message is delivered again', () => {
    it('records every image of the zip once, with the ids of the first reading, and stores every image', async () => {
      // Prepare: a job waiting for its zip, and the zip in storage
      const table = await dynamo.createJobsTable();
      const clients = [dynamo.client(), dynamo.client()];
      const blobs = new LocalBlobStore({ root: tempDir('expansion-resume-') });
      const jobId = newId('j');
      const healthy = new JobService(new DynamoDbJobEventStore(clients[0] as DynamoDBClient, table), silentBus);
      const upload = { key: `sources/${jobId}/dataset/pets.zip`, name: 'pets.zip', bytes: zip.length };
      await healthy.handleJob(jobId, {
        type: 'CreateJob',
        owner: 'alice',
        pipeline: { preset: 'delta-classic', seed: 3 },
        variants: 1,
        tags: [],
        sources: [],
        expiresAt: '2099-01-01T00:00:00.000Z',
        datasetUpload: { ...upload, fields: DATASET_ZIP_FIELDS },
      });
      await blobs.put(upload.key, zip, { contentType: 'application/zip' });
      const dying = new JobService(
        new DynamoDbJobEventStore(dyingAt(clients[1] as DynamoDBClient, 3), table),
        silentBus,
      );
      // Act
      const died = await expandDataset({ jobs: dying, blobs, config }, jobId).catch((error: unknown) => error);
      const cut = await healthy.load(jobId);
      await expandDataset({ jobs: healthy, blobs, config }, jobId);
      // Assess
      assert.ok(died instanceof Error, 'the first worker died');
      assert.equal(cut?.expandedSources, 2 * SOURCES_PER_EXPANSION_STEP, 'two whole steps were stored');
      assert.equal(cut?.sourceCount, 0);
      const events: JobEvent[] = await healthy.read(jobId);
      const named = events.flatMap((e) => (e.type === 'SourcesAdded' ? e.data.sources : []));
      assert.equal(named.length, IMAGES);
      assert.equal(new Set(named.map((s) => s.sourceId)).size, IMAGES, 'no source named twice');
      assert.deepEqual(
        named.map((s) => s.entry).sort(),
        Array.from({ length: IMAGES }, (_, i) => `set/${i % 2 ? 'dogs' : 'cats'}/${i}.jpg`).sort(),
      );
      assert.equal(events.filter((e) => e.type === 'DatasetExpanded').length, 1);
      const job = await healthy.load(jobId);
      assert.equal(job?.sourceCount, IMAGES);
      assert.equal(job?.status, 'queued');
      for (const source of named) assert.ok(await blobs.head(source.key), `${source.entry} stored`);
      for (const client of clients) client.destroy();
    });
  });
});

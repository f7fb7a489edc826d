import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type EmulatedStack, startEmulatedStack } from '../../apps/aws-emulated/src/stack.js';
import { verifyWebhook } from '../../packages/gateway/src/webhooks/signature.js';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { gradientJpeg, jobForm } from '../helpers/images.js';
import { jsonApi } from '../helpers/json-api.js';
import { tempDir, waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { cocoZip, photoItems } from '../labels/photo-dataset.js';

/**
 * The AWS composition end to end on emulators (apps/aws-emulated): the gateway on ADAPTERS=aws, S3 and
 * SQS and SNS on fauxqs, DynamoDB on dynalite, the S3 notification and EventBridge stand-ins, and the
 * Lambda bundle infra deploys under the event source mapping stand-in on Node 22. Infra settings are
 * shortened so that redeliveries come within the test's patience: a 6 s Lambda timeout gives the
 * upload queue infra's 6x + batching window visibility timeout (37 s); batches of one source keep each
 * invocation well within its 6 s on a loaded machine; 2 receives before the DLQ.
 */
const SETTINGS = { lambdaTimeoutSeconds: '6', maxReceiveCount: '2', batchSize: '1' };
const MAX_RECEIVE_COUNT = 2;
const JOB_TIMEOUT_MS = 120_000;

interface JobEventView {
  readonly seq: number;
  readonly type: string;
  readonly data?: Record<string, unknown>;
}
interface JobView {
  readonly id: string;
  readonly status: string;
  readonly progress: { done: number; total: number };
  readonly sources: { sourceId: string; name: string; status: string }[];
}

let stack: EmulatedStack;
const output: string[] = [];

before(async () => {
  stack = await startEmulatedStack({
    port: 0,
    settings: SETTINGS,
    // Webhooks to the test's receiver on 127.0.0.1, retried quickly.
    gatewayEnv: { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '500' },
    dataDir: tempDir('aws-emulated-'),
    output: (line) => output.push(line),
  });
});
after(async () => {
  await stack?.stop();
});

const api = jsonApi(() => stack.url);
const eventsOf = (id: string) => api<JobEventView[]>(`/api/jobs/${id}/events`);
const count = (events: readonly JobEventView[], type: string) => events.filter((e) => e.type === type).length;

const waitForJob = async (id: string, status: string, timeoutMs = JOB_TIMEOUT_MS): Promise<JobView> => {
  let last: JobView | undefined;
  try {
    return await waitFor(
      async () => {
        last = (await api<JobView>(`/api/jobs/${id}`).catch(() => undefined)) ?? last;
        return last?.status === status ? last : undefined;
      },
      timeoutMs,
      `job ${id} to be ${status}`,
    );
  } catch (error) {
    const events = await eventsOf(id).catch(() => []);
    const lambda = output.filter((line) => line.startsWith('[lambda')).slice(-10);
    throw new Error(
      `${(error as Error).message}: it is ${last?.status}; events ${events.map((e) => e.type).join(', ')}; lambda: ${lambda.join('\n')}`,
    );
  }
};

const createJob = async (files: { name: string; data: Buffer }[], variants: number): Promise<JobView> =>
  api<JobView>('/api/jobs', {
    method: 'POST',
    body: jobForm(files, { variants: String(variants), preset: 'delta-classic' }),
  });

/** A WebSocket subscriber: every `event` frame it receives, in arrival order. */
const subscribe = async (jobId: string, afterSeq = 0) => {
  const socket = new WebSocket(`${stack.url.replace('http', 'ws')}/ws`);
  const frames: { jobId: string; seq: number; event: { type: string } }[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; jobId: string; seq: number; event: { type: string } };
    if (frame.type === 'event') frames.push(frame);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'subscribe', jobId, after: afterSeq }));
  return { frames, close: () => socket.close() };
};

/** Waits until the upload queue holds nothing visible or in flight (the Lambda consumed everything). */
const waitForDrainedQueue = () =>
  waitFor(
    async () => {
      const { queues } = await api<{ queues: { name: string; visible: number; inFlight: number }[] }>('/api/queues');
      const uploads = queues.find((q) => q.name === 'uploads');
      return uploads && uploads.visible === 0 && uploads.inFlight === 0 ? true : undefined;
    },
    JOB_TIMEOUT_MS,
    'the upload queue to drain',
  );

describe('the AWS composition on emulators', () => {
  describe('when a job is created with a multipart form', () => {
    it('completes, and a WebSocket subscriber receives every event of the job in order', async () => {
      // Prepare
      const watcher = await subscribe('*');
      try {
        // Act
        const job = await createJob(
          [
            { name: 'a.jpg', data: await gradientJpeg(64, 48) },
            { name: 'b.jpg', data: await gradientJpeg(48, 64) },
          ],
          3,
        );
        const done = await waitForJob(job.id, 'completed');
        // Assess
        const events = await eventsOf(job.id);
        assert.deepEqual(done.progress, { done: 6, total: 6 }, JSON.stringify(events));
        assertContiguousSeqs(events);
        const received = await waitFor(
          async () => {
            const mine = watcher.frames.filter((f) => f.jobId === job.id);
            return mine.length === events.length ? mine : undefined;
          },
          30_000,
          'every event over the WebSocket',
        );
        assert.deepEqual(
          received.map((f) => [f.seq, f.event.type]),
          events.map((e) => [e.seq, e.type]),
        );
        const zip = await readZip(
          Buffer.from(await (await fetch(`${stack.url}/api/jobs/${job.id}/archive`)).arrayBuffer()),
        );
        assert.equal([...zip.keys()].filter((name) => name.endsWith('.jpg')).length, 6);
        assert.ok(zip.has('manifest.json'));
      } finally {
        watcher.close();
      }
    });
  });

  describe('when a job carries a webhook', () => {
    it('POSTs the signed document from the gateway after a receiver error, recording both attempts in DynamoDB', async () => {
      // Prepare: a receiver on 127.0.0.1 that answers 500 once, then 200
      const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
      const receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
          response.statusCode = deliveries.length === 1 ? 500 : 200;
          response.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/aws`;
        // Act
        const job = await api<{ id: string; webhook: { secret: string } }>('/api/jobs', {
          method: 'POST',
          body: jobForm([{ name: 'hook.jpg', data: await gradientJpeg(64, 48) }], { variants: '1', webhookUrl }),
        });
        await waitForJob(job.id, 'completed');
        const seen = await waitFor(
          async () => {
            const view = await api<{
              webhook?: { status: string; attempts: { attempt: number; ok: boolean; status?: number }[] };
            }>(`/api/jobs/${job.id}`);
            return view.webhook?.status === 'delivered' ? view.webhook : undefined;
          },
          60_000,
          'the webhook to be delivered',
        );
        // Assess
        assert.deepEqual(
          seen.attempts.map((a) => [a.attempt, a.ok, a.status]),
          [
            [1, false, 500],
            [2, true, 200],
          ],
        );
        assert.equal(deliveries.length, 2);
        const last = deliveries[1] as { headers: IncomingHttpHeaders; body: string };
        const headers = {
          timestamp: String(last.headers['delta-timestamp']),
          signature: String(last.headers['delta-signature']),
        };
        assert.ok(verifyWebhook(job.webhook.secret, headers, last.body, Math.floor(Date.now() / 1000)));
        assert.deepEqual(JSON.parse(last.body).job.id, job.id);
      } finally {
        await new Promise((resolve) => receiver.close(resolve));
      }
    });
  });

  describe('when the sources are uploaded to S3 with signed URLs', () => {
    it('completes the job from the S3 ObjectCreated events', async () => {
      // Prepare
      const jpeg = await gradientJpeg(80, 60);
      const job = await api<{ id: string; uploads: { url: string; method: string }[] }>('/api/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ files: [{ name: 'signed photo.jpg', bytes: jpeg.length }], variants: 2 }),
      });
      const [upload] = job.uploads;
      assert.ok(upload);
      assert.ok(upload.url.startsWith(stack.ready.endpoints.s3), 'the URL is signed for S3, not the gateway');
      // Act
      const put = await fetch(upload.url, {
        method: upload.method,
        headers: { 'content-type': 'image/jpeg' },
        body: new Uint8Array(jpeg),
      });
      // Assess
      assert.equal(put.status, 200, await put.clone().text());
      const done = await waitForJob(job.id, 'completed');
      assert.deepEqual(done.progress, { done: 2, total: 2 });
    });
  });

  describe('when S3 delivers the same ObjectCreated event twice', () => {
    it('yields one set of events and one result', async () => {
      // Prepare
      const job = await createJob([{ name: 'twice.jpg', data: await gradientJpeg() }], 2);
      await waitForJob(job.id, 'completed');
      const before = await eventsOf(job.id);
      const source = job.sources[0];
      assert.ok(source);
      const invocations = (await stack.usage()).lambda.records;
      // Act
      await stack.redeliverObjectCreated(
        stack.gatewayEnvironment.SOURCE_BUCKET ?? '',
        `sources/${job.id}/${source.sourceId}/twice.jpg`,
      );
      await waitFor(
        async () => ((await stack.usage()).lambda.records > invocations ? true : undefined),
        JOB_TIMEOUT_MS,
        'the Lambda to receive the duplicate',
      );
      await waitForDrainedQueue();
      // Assess
      const afterwards = await eventsOf(job.id);
      assert.deepEqual(
        afterwards.map((e) => [e.seq, e.type]),
        before.map((e) => [e.seq, e.type]),
      );
      assert.equal(
        afterwards.flatMap((e) =>
          e.type === 'VariantsWritten' ? ((e.data as { variants?: unknown[] }).variants ?? []) : [],
        ).length,
        2,
      );
      assert.equal(count(afterwards, 'JobCompleted'), 1);
    });
  });

  describe('when the gateway is killed mid-job and started again', () => {
    it('loses nothing: the job completes and a new subscriber replays every event in order', async () => {
      // Prepare
      const job = await createJob([{ name: 'restart.jpg', data: await gradientJpeg(96, 64) }], 4);
      // Act
      await stack.stopGateway('SIGKILL');
      await stack.startGateway();
      const done = await waitForJob(job.id, 'completed');
      // Assess
      assert.deepEqual(done.progress, { done: 4, total: 4 });
      const events = await eventsOf(job.id);
      assertContiguousSeqs(events);
      const replay = await subscribe(job.id);
      try {
        const frames = await waitFor(
          async () => (replay.frames.length === events.length ? replay.frames : undefined),
          30_000,
          'the replay over the WebSocket',
        );
        assert.deepEqual(
          frames.map((f) => f.seq),
          events.map((e) => e.seq),
        );
      } finally {
        replay.close();
      }
    });
  });

  describe('when a labelled COCO dataset is uploaded for a YOLO export', () => {
    it('completes with the labels in the YOLO layout', async () => {
      // Prepare
      const zip = await cocoZip(await photoItems(4));
      const form = new FormData();
      for (const [name, value] of Object.entries({ variants: '1', seed: '3', format: 'coco', export: 'yolo' }))
        form.append(name, value);
      form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'dataset.zip');
      // Act
      const job = await api<JobView>('/api/jobs', { method: 'POST', body: form });
      const done = await waitForJob(job.id, 'completed');
      // Assess
      assert.equal(done.progress.done, done.progress.total);
      const entries = await readZip(
        Buffer.from(await (await fetch(`${stack.url}/api/jobs/${job.id}/archive`)).arrayBuffer()),
      );
      assert.ok(entries.has('data.yaml'), [...entries.keys()].join(', '));
      const labels = [...entries.keys()].filter((name) => /^train\/labels\/.+\.txt$/.test(name));
      assert.equal(labels.length, done.progress.total);
    });
  });

  describe('when redeliveries wait for the visibility timeout', { concurrency: true }, () => {
    it('moves a poison image to the DLQ after exactly maxReceiveCount receives, and a redrive by id completes it', async () => {
      // Prepare: every S3 GET of this source fails (InternalError, retryable)
      await stack.failS3GetsFor('poison.jpg');
      const job = await createJob([{ name: 'poison.jpg', data: await gradientJpeg() }], 2);
      // Act
      const dead = await waitFor(
        async () => {
          const { messages } = await api<{ messages: { messageId: string; jobId?: string; receiveCount: number }[] }>(
            '/api/queues/uploads-dlq/messages',
          );
          return messages.find((m) => m.jobId === job.id);
        },
        // maxReceiveCount visibility timeouts, then the receive that moves it.
        (MAX_RECEIVE_COUNT + 1) * 45_000,
        'the poison message in the DLQ',
      );
      // Assess
      const failed = await waitForJob(job.id, 'failed');
      assert.equal(failed.sources[0]?.status, 'dead-lettered');
      // fauxqs counts the receive that moves the message to the DLQ as one more.
      assert.ok(dead.receiveCount >= MAX_RECEIVE_COUNT, `receive count ${dead.receiveCount}`);
      const deadLettered = (await eventsOf(job.id)).filter((e) => e.type === 'SourceDeadLettered');
      assert.equal(deadLettered.length, 1);
      assert.match(JSON.stringify(deadLettered[0]), new RegExp(`after ${MAX_RECEIVE_COUNT} attempts`));
      // Act: repair S3 and redrive that message by id
      await stack.failS3GetsFor(undefined);
      const redriven = await api<{ moved: number }>('/api/queues/uploads-dlq/redrive', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messageIds: [dead.messageId] }),
      });
      assert.equal(redriven.moved, 1);
      // Assess
      const done = await waitForJob(job.id, 'completed');
      assert.deepEqual(done.progress, { done: 2, total: 2 });
      assert.equal(count(await eventsOf(job.id), 'SourceRedriven'), 1);
    });

    it('loses nothing when the event source mapping runner is killed with SIGKILL mid-batch', async () => {
      // Prepare
      const images = await Promise.all([gradientJpeg(48, 40), gradientJpeg(40, 48), gradientJpeg(48, 48)]);
      const job = await createJob(
        images.map((data, i) => ({ name: `kill-${i}.jpg`, data })),
        2,
      );
      await waitFor(
        async () => (count(await eventsOf(job.id), 'SourceStarted') > 0 ? true : undefined),
        JOB_TIMEOUT_MS,
        'a source to start',
      );
      // Act
      const runner = stack.runner();
      runner.kill('SIGKILL');
      await new Promise((resolve) => runner.once('exit', resolve));
      await stack.startRunner();
      const done = await waitForJob(job.id, 'completed');
      // Assess
      assert.deepEqual(done.progress, { done: 6, total: 6 });
      const events = await eventsOf(job.id);
      assertContiguousSeqs(events);
      assert.equal(count(events, 'SourceCompleted'), 3);
      assert.equal(count(events, 'JobCompleted'), 1);
      const zip = await readZip(
        Buffer.from(await (await fetch(`${stack.url}/api/jobs/${job.id}/archive`)).arrayBuffer()),
      );
      assert.equal([...zip.keys()].filter((name) => name.endsWith('.jpg')).length, 6);
    });
  });
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DynaliteHandle, startDynalite } from '../../apps/aws-emulated/src/dynalite.js';
import type { JobEvent, JobState } from '../../packages/core/src/index.js';
import { evolveJob } from '../../packages/core/src/jobs/state.js';
import { WebhookDispatcher } from '../../packages/gateway/src/webhooks/dispatcher.js';
import { loadWebhookSettings } from '../../packages/gateway/src/webhooks/settings.js';
import { DynamoDbWebhookOutbox } from '../../packages/ports/src/webhooks/aws.js';
import { SqliteWebhookOutbox } from '../../packages/ports/src/webhooks/local.js';
import type { WebhookOutbox } from '../../packages/ports/src/webhooks/port.js';
import { TestClock } from './helpers/clock.js';
import { jobCreated } from './helpers/job-events.js';
import { tempDir } from './helpers/temp-dir.js';

const T0 = 1_800_000_000_000;
const attempt = (n: number, ok: boolean, at = T0) => ({
  attempt: n,
  at: new Date(at).toISOString(),
  ok,
  ...(ok ? { status: 200 } : { status: 500, error: 'the receiver answered 500' }),
});

/** The WebhookOutbox contract: the same behaviour from the SQLite outbox (local) and the DynamoDB one (AWS). */
const describeWebhookOutboxContract = (name: string, create: () => Promise<WebhookOutbox>) => {
  describe(`the ${name} webhook outbox`, () => {
    it('registers a webhook once, waiting, with no attempts; a second registration changes nothing', async () => {
      // Prepare
      const outbox = await create();
      // Act
      await outbox.register({ jobId: 'j_a', url: 'https://hooks.example/a', secret: 'whsec_1', nextAt: T0 });
      await outbox.register({ jobId: 'j_a', url: 'https://other.example/', secret: 'whsec_2', nextAt: T0 + 5 });
      // Assess
      const webhook = await outbox.get('j_a');
      assert.deepEqual(
        [webhook?.status, webhook?.url, webhook?.secret, webhook?.nextAt, webhook?.attempts],
        ['waiting', 'https://hooks.example/a', 'whsec_1', T0, []],
      );
      assert.equal(await outbox.get('j_none'), undefined);
    });

    it('lists as due only the rows whose time has come, oldest first, and never delivered ones', async () => {
      // Prepare
      const outbox = await create();
      await outbox.register({ jobId: 'j_late', url: 'https://h.example/', secret: 's', nextAt: T0 + 2_000 });
      await outbox.register({ jobId: 'j_first', url: 'https://h.example/', secret: 's', nextAt: T0 - 2_000 });
      await outbox.register({ jobId: 'j_second', url: 'https://h.example/', secret: 's', nextAt: T0 - 1_000 });
      await outbox.register({ jobId: 'j_done', url: 'https://h.example/', secret: 's', nextAt: T0 - 3_000 });
      await outbox.record('j_done', attempt(1, true), {
        status: 'delivered',
        nextAt: T0 - 3_000,
        payload: '{}',
        firstAttemptAt: T0 - 3_000,
      });
      // Act
      const due = await outbox.due(T0, 10);
      // Assess
      assert.deepEqual(
        due.map((w) => w.jobId),
        ['j_first', 'j_second'],
      );
    });

    it('moves a waiting row to its next check, and a failed attempt to its retry time, keeping every attempt', async () => {
      // Prepare
      const outbox = await create();
      await outbox.register({ jobId: 'j_w', url: 'https://h.example/', secret: 's', nextAt: T0 });
      await outbox.register({ jobId: 'j_r', url: 'https://h.example/', secret: 's', nextAt: T0 });
      // Act
      await outbox.wait('j_w', T0 + 2_000);
      await outbox.record('j_r', attempt(1, false), {
        status: 'pending',
        nextAt: T0 + 10_000,
        payload: '{"id":"wh_1"}',
        firstAttemptAt: T0,
      });
      // Assess
      assert.deepEqual(await outbox.due(T0 + 1_000, 10), []);
      assert.deepEqual(
        (await outbox.due(T0 + 2_000, 10)).map((w) => w.jobId),
        ['j_w'],
      );
      await outbox.wait('j_w', T0 + 50_000); // its job has not ended: the dispatcher looks again later
      const [retry, ...others] = await outbox.due(T0 + 10_000, 10);
      assert.deepEqual(others, []);
      assert.deepEqual(
        [retry?.jobId, retry?.status, retry?.payload, retry?.firstAttemptAt, retry?.attempts.length],
        ['j_r', 'pending', '{"id":"wh_1"}', T0, 1],
      );
      await outbox.record('j_r', attempt(2, true, T0 + 10_000), {
        status: 'delivered',
        nextAt: T0 + 10_000,
        payload: '{"id":"wh_1"}',
        firstAttemptAt: T0,
      });
      const delivered = await outbox.get('j_r');
      assert.equal(delivered?.status, 'delivered');
      assert.deepEqual(
        delivered?.attempts.map((a) => [a.attempt, a.ok, a.status]),
        [
          [1, false, 500],
          [2, true, 200],
        ],
      );
      assert.deepEqual(
        (await outbox.due(T0 + 100_000, 10)).map((w) => w.jobId),
        ['j_w'],
      );
    });

    it('ignores a wait for a row that is no longer waiting, and deletes rows', async () => {
      // Prepare
      const outbox = await create();
      await outbox.register({ jobId: 'j_p', url: 'https://h.example/', secret: 's', nextAt: T0 });
      await outbox.record('j_p', attempt(1, false), {
        status: 'pending',
        nextAt: T0 + 500,
        payload: '{}',
        firstAttemptAt: T0,
      });
      // Act
      await outbox.wait('j_p', T0 + 60_000);
      // Assess
      assert.equal((await outbox.get('j_p'))?.nextAt, T0 + 500);
      await outbox.delete('j_p');
      assert.equal(await outbox.get('j_p'), undefined);
      await outbox.record('j_p', attempt(2, true), {
        status: 'delivered',
        nextAt: T0,
        payload: '{}',
        firstAttemptAt: T0,
      });
      assert.equal(await outbox.get('j_p'), undefined, 'recording on a deleted row does not bring it back');
    });
  });
};

describeWebhookOutboxContract(
  'SQLite',
  async () => new SqliteWebhookOutbox(join((await tempDir('outbox-')).dir, 'webhooks.sqlite')),
);

let dynalite: DynaliteHandle;
before(async () => {
  dynalite = await startDynalite();
});
after(async () => {
  await dynalite?.close();
});

describeWebhookOutboxContract('DynamoDB (dynalite)', async () => {
  const table = await dynalite.createJobsTable();
  return new DynamoDbWebhookOutbox(dynalite.client(), table, { leaseMs: 60_000 });
});

/** A completed job's state, folded from its events. */
const completedJob = (jobId: string): JobState => {
  const bodies = [jobCreated(), { type: 'JobCompleted', data: { variants: 2, failedSources: 0 } }] as const;
  return bodies.reduce<JobState | undefined>(
    (state, body, i) => evolveJob(state, { ...body, jobId, seq: i + 1, at: new Date(T0).toISOString() } as JobEvent),
    undefined,
  ) as JobState;
};

describe('webhooks on DynamoDB, with the dispatcher of every gateway instance', () => {
  let receiver: Server;
  const received: string[] = [];
  before(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(String(request.headers['delta-delivery']));
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('gives each due row to one instance only, until its lease ends', async () => {
    // Prepare
    const table = await dynalite.createJobsTable();
    const a = new DynamoDbWebhookOutbox(dynalite.client(), table, { leaseMs: 30_000 });
    const b = new DynamoDbWebhookOutbox(dynalite.client(), table, { leaseMs: 30_000 });
    for (let i = 0; i < 6; i++)
      await a.register({ jobId: `j_${i}`, url: 'https://h.example/', secret: 's', nextAt: T0 + i });
    // Act
    const [fromA, fromB] = await Promise.all([a.due(T0 + 10, 10), b.due(T0 + 10, 10)]);
    // Assess
    const ids = [...(fromA ?? []), ...(fromB ?? [])].map((w) => w.jobId).sort();
    assert.deepEqual(ids, ['j_0', 'j_1', 'j_2', 'j_3', 'j_4', 'j_5'], 'each row once, across both instances');
    assert.deepEqual(await a.due(T0 + 29_000, 10), [], 'claimed rows are not due while leased');
    assert.equal((await b.due(T0 + 30_010, 10)).length, 6, 'a lease that ran out (its instance died) frees the row');
  });

  it('delivers a completed job once when two dispatchers share the table, and records the attempt', async () => {
    // Prepare
    const table = await dynalite.createJobsTable();
    const clock = new TestClock();
    const settings = loadWebhookSettings({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const outboxes = [0, 1].map(() => new DynamoDbWebhookOutbox(dynalite.client(), table, { clock }));
    const jobs = { load: async (jobId: string) => completedJob(jobId) };
    const dispatchers = outboxes.map((outbox) => new WebhookDispatcher({ outbox, jobs, clock, settings }));
    await outboxes[0]?.register({ jobId: 'j_once', url, secret: 'whsec_x', nextAt: clock.now() });
    const before = received.length;
    // Act
    await Promise.all(dispatchers.map((d) => d.runDue()));
    await Promise.all(dispatchers.map((d) => d.runDue()));
    // Assess
    assert.equal(received.length - before, 1, 'one POST');
    const webhook = await outboxes[1]?.get('j_once');
    assert.equal(webhook?.status, 'delivered');
    assert.deepEqual(
      webhook?.attempts.map((x) => [x.attempt, x.ok, x.status]),
      [[1, true, 200]],
    );
    assert.deepEqual(
      await outboxes[0]?.due(clock.now() + 86_400_000, 10),
      [],
      'a delivered webhook leaves the due index',
    );
  });
});

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../packages/gateway/src/webhooks/signature.js';
import { jobForm, sharedImage } from '../helpers/images.js';
import { type RunningServer, startServer, waitFor } from '../helpers/server.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 that answers `statuses` in turn (then 200) and keeps what it got. */
const receiver = async () => {
  const received = new Map<string, Received[]>();
  const failFirst = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const list = received.get(path) ?? [];
      list.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      received.set(path, list);
      const failures = failFirst.get(path) ?? 0;
      response.statusCode = list.length <= failures ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, failFirst, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

interface CreatedJob {
  id: string;
  webhook?: { url: string; secret: string };
}

interface JobWithWebhook {
  status: string;
  webhook?: {
    status: string;
    attempts: { attempt: number; at: string; ok: boolean; status?: number; error?: string }[];
  };
}

describe('webhooks, against the real local server and a receiver on 127.0.0.1', () => {
  let server: RunningServer;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  before(async () => {
    hooks = await receiver();
    server = await startServer({
      env: { WORKER_PROCESSES: '1', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '300' },
    });
  });
  after(async () => {
    await server.stop();
    await hooks.close();
  });

  const createJob = async (webhookUrl: string) => {
    const response = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      body: jobForm([{ name: 'ladybird.jpg', data: sharedImage('ladybird.jpg') }], { variants: '1', webhookUrl }),
    });
    return {
      status: response.status,
      body: (await response.json()) as CreatedJob & { error?: { field?: string; message: string } },
    };
  };
  const jobOf = async (id: string) => (await (await fetch(`${server.url}/api/jobs/${id}`)).json()) as JobWithWebhook;

  it('POSTs a document signed with the job secret once the job completes', async () => {
    // Prepare
    const path = '/hooks/ok';
    // Act
    const created = await createJob(`${hooks.base}${path}`);
    const [delivery] = await waitFor(async () => hooks.received.get(path), 60_000, 'the webhook delivery');
    // Assess
    assert.equal(created.status, 202);
    assert.match(created.body.webhook?.secret ?? '', /^whsec_/);
    assert.ok(delivery);
    const secret = created.body.webhook?.secret ?? '';
    const headers = {
      timestamp: String(delivery.headers['delta-timestamp']),
      signature: String(delivery.headers['delta-signature']),
    };
    assert.ok(verifyWebhook(secret, headers, delivery.body, Math.floor(Date.now() / 1000)), 'the signature verifies');
    assert.ok(!verifyWebhook('whsec_wrong', headers, delivery.body, Math.floor(Date.now() / 1000)));
    assert.ok(
      !verifyWebhook(secret, headers, `${delivery.body} `, Math.floor(Date.now() / 1000)),
      'a changed body fails',
    );
    const payload = JSON.parse(delivery.body) as { type: string; job: { id: string; status: string } };
    assert.equal(payload.type, 'job.completed');
    assert.equal(payload.job.id, created.body.id);
    assert.equal(payload.job.status, 'completed');
    const job = await waitFor(
      async () => {
        const j = await jobOf(created.body.id);
        return j.webhook?.status === 'delivered' ? j : undefined;
      },
      10_000,
      'the delivery to be recorded',
    );
    assert.deepEqual(
      job.webhook?.attempts.map((a) => [a.attempt, a.ok, a.status]),
      [[1, true, 200]],
    );
  });

  it('retries with back-off after the receiver fails, recording every attempt on the job', async () => {
    // Prepare
    const path = '/hooks/flaky';
    hooks.failFirst.set(path, 2);
    // Act
    const created = await createJob(`${hooks.base}${path}`);
    const job = await waitFor(
      async () => {
        const j = await jobOf(created.body.id);
        return j.webhook?.status === 'delivered' ? j : undefined;
      },
      60_000,
      'the webhook to be delivered after two failures',
    );
    // Assess
    const deliveries = hooks.received.get(path) ?? [];
    assert.equal(deliveries.length, 3);
    assert.equal(
      new Set(deliveries.map((d) => d.headers['delta-delivery'])).size,
      1,
      'one delivery id for all attempts',
    );
    assert.equal(new Set(deliveries.map((d) => d.body)).size, 1, 'the same document each time');
    assert.deepEqual(
      job.webhook?.attempts.map((a) => [a.attempt, a.ok, a.status]),
      [
        [1, false, 500],
        [2, false, 500],
        [3, true, 200],
      ],
    );
    const times = (job.webhook?.attempts ?? []).map((a) => Date.parse(a.at));
    assert.ok((times[2] ?? 0) - (times[1] ?? 0) >= (times[1] ?? 0) - (times[0] ?? 0), 'the gaps grow');
  });

  it('refuses hosts that resolve to loopback, private or link-local addresses unless allowed', async () => {
    for (const url of [
      'http://localhost:9/hook',
      'http://169.254.169.254/latest',
      'http://10.0.0.1/',
      'http://[::ffff:192.168.1.1]/',
    ]) {
      const created = await createJob(url);
      assert.equal(created.status, 400, url);
      assert.equal(created.body.error?.field, 'webhookUrl');
      assert.match(created.body.error?.message ?? '', /WEBHOOK_ALLOW_HOSTS/);
    }
    const ftp = await createJob('ftp://127.0.0.1/');
    assert.equal(ftp.status, 400);
  });
});

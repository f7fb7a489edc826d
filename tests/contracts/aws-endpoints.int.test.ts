import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '@delta-augment/core';
import { loadConfig } from '@delta-augment/ports';
import { awsPorts } from '@delta-augment/ports/aws';

/**
 * Where each AWS client sends its calls: AWS_ENDPOINT_URL_<SERVICE> per service, AWS_ENDPOINT_URL
 * for the others, and SQS always to its configured endpoint whatever host the queue URL names.
 * A recording HTTP server on loopback plays SQS (JSON protocol) so the request is real.
 */

interface Recorded {
  readonly target: string;
  readonly queueUrl: string;
}

const startFakeSqs = async (): Promise<{ url: string; requests: Recorded[]; server: Server }> => {
  const requests: Recorded[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { QueueUrl?: string };
      requests.push({ target: String(request.headers['x-amz-target'] ?? ''), queueUrl: body.QueueUrl ?? '' });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          Attributes: {
            ApproximateNumberOfMessages: '3',
            ApproximateNumberOfMessagesNotVisible: '1',
            ApproximateNumberOfMessagesDelayed: '0',
            VisibilityTimeout: '720',
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
};

/** A host that never resolves (RFC 6761 `.invalid`). */
const UNRESOLVABLE_QUEUE = 'http://sqs.eu-west-1.queues.invalid/123456789012/uploads';
const UNRESOLVABLE_DLQ = 'http://sqs.eu-west-1.queues.invalid/123456789012/uploads-dlq';

const endpointOf = async (config: { endpoint?: unknown }): Promise<string | undefined> => {
  const provider = config.endpoint as
    | (() => Promise<{ protocol: string; hostname: string; port?: number }>)
    | undefined;
  if (!provider) return undefined;
  const { protocol, hostname, port } = await provider();
  return `${protocol}//${hostname}${port ? `:${port}` : ''}`;
};

describe('per-service AWS endpoints', () => {
  let fake: Awaited<ReturnType<typeof startFakeSqs>>;
  const saved: Record<string, string | undefined> = {};
  const credentialVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

  before(async () => {
    fake = await startFakeSqs();
  });
  after(async () => {
    await new Promise((resolve) => fake.server.close(resolve));
  });
  beforeEach(() => {
    for (const name of credentialVariables) saved[name] = process.env[name];
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    fake.requests.length = 0;
  });
  afterEach(() => {
    for (const name of credentialVariables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  describe('when AWS_ENDPOINT_URL_SQS is set and the queue URL names another host', () => {
    it('sends queue calls to AWS_ENDPOINT_URL_SQS', async () => {
      // Prepare
      const config = loadConfig({
        ADAPTERS: 'aws',
        AWS_ENDPOINT_URL_SQS: fake.url,
        QUEUE_URL: UNRESOLVABLE_QUEUE,
        DLQ_URL: UNRESOLVABLE_DLQ,
      });
      const ports = awsPorts(config);
      try {
        // Act
        const stats = await ports.queue.stats('uploads');
        // Assess
        assert.equal(stats.visible, 3);
        assert.deepEqual(fake.requests, [{ target: 'AmazonSQS.GetQueueAttributes', queueUrl: UNRESOLVABLE_QUEUE }]);
      } finally {
        await ports.close();
      }
    });
  });

  describe('when some services have their own variable', () => {
    it('gives each client its own endpoint and the others AWS_ENDPOINT_URL', async () => {
      // Prepare
      const config = loadConfig({
        ADAPTERS: 'aws',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
        QUEUE_URL: UNRESOLVABLE_QUEUE,
        DLQ_URL: UNRESOLVABLE_DLQ,
      });
      // Act
      const ports = awsPorts(config);
      try {
        // Assess
        assert.equal(await endpointOf(ports.clients.s3.config), 'http://127.0.0.1:9000');
        assert.equal(await endpointOf(ports.clients.dynamodb.config), 'http://127.0.0.1:8000');
        assert.equal(await endpointOf(ports.clients.sqs.config), 'http://127.0.0.1:4566');
        assert.equal(await endpointOf(ports.clients.eventBridge.config), 'http://127.0.0.1:4566');
        assert.deepEqual(config.aws.endpoints, {
          s3: 'http://127.0.0.1:9000',
          sqs: 'http://127.0.0.1:4566',
          dynamodb: 'http://127.0.0.1:8000',
          eventbridge: 'http://127.0.0.1:4566',
          sns: 'http://127.0.0.1:4566',
        });
        assert.equal(await ports.clients.s3.config.forcePathStyle, true);
      } finally {
        await ports.close();
      }
    });
  });

  describe('when no endpoint is configured', () => {
    it('leaves every client on its AWS default', () => {
      const config = loadConfig({ ADAPTERS: 'aws', QUEUE_URL: UNRESOLVABLE_QUEUE, DLQ_URL: UNRESOLVABLE_DLQ });
      assert.deepEqual(config.aws.endpoints, {});
    });
  });

  describe('when an endpoint is not an http(s) URL', () => {
    for (const [name, value] of [
      ['AWS_ENDPOINT_URL_SQS', 'localhost:4566'],
      ['AWS_ENDPOINT_URL_EVENTBRIDGE', 'ftp://127.0.0.1:21'],
      ['AWS_ENDPOINT_URL', 'not a url'],
    ] as const) {
      it(`refuses ${name}=${value} with a ConfigError naming the variable`, () => {
        assert.throws(
          () => loadConfig({ [name]: value }),
          (error: unknown) =>
            error instanceof ConfigError && error.message.includes(name) && error.message.includes(value),
        );
      });
    }
  });

  describe('when ADAPTERS=aws and a queue URL is not a URL', () => {
    it('refuses it with a ConfigError naming the variable', () => {
      assert.throws(
        () => loadConfig({ ADAPTERS: 'aws', QUEUE_URL: 'uploads', DLQ_URL: UNRESOLVABLE_DLQ }),
        (error: unknown) => error instanceof ConfigError && /QUEUE_URL/.test(error.message),
      );
    });
  });
});

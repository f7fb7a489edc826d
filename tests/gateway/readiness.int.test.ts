import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from '@delta-augment/gateway';
import { loadConfig } from '@delta-augment/ports';
import { EventBridgeBus, startQueueIngress } from '@delta-augment/ports/aws';
import { localPorts } from '@delta-augment/ports/local';
import { mockClient } from 'aws-sdk-client-mock';
import { tempDir, waitFor } from '../helpers/server.js';

describe('readiness of an AWS gateway instance', () => {
  const sqs = mockClient(SQSClient);
  after(() => sqs.restore());

  describe('when its notification queue cannot be received from', () => {
    let ingress: ReturnType<typeof startQueueIngress>;
    before(() => {
      sqs.reset();
      sqs
        .on(ReceiveMessageCommand)
        .rejects(Object.assign(new Error('queue does not exist'), { name: 'QueueDoesNotExist' }));
    });
    after(() => ingress.stop());

    it('reports the ingress as not receiving, and /readyz answers 503 naming it', async () => {
      // Prepare
      const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'bus');
      ingress = startQueueIngress(new SQSClient({ region: 'eu-west-1' }), 'https://sqs/notify', bus, () => {}, {
        unhealthyAfterMs: 0,
        retryDelayMs: 10,
      });
      const config = loadConfig({ DATA_DIR: tempDir(), SIGNING_SECRET: 'test-signing-secret' });
      const ports = localPorts(config);
      const { app } = await buildApp({
        config,
        ports,
        webRoot: '/nonexistent',
        readiness: { ingress: () => ingress.receiving() },
      });
      try {
        await waitFor(
          async () => (sqs.commandCalls(ReceiveMessageCommand).length > 1 ? true : undefined),
          5000,
          'receives',
        );
        // Act
        const response = await app.inject('/readyz');
        // Assess
        assert.equal(response.statusCode, 503);
        assert.deepEqual(response.json().checks, { events: true, blobs: true, queue: true, ingress: false });
      } finally {
        await app.close();
        await ports.close();
      }
    });
  });

  describe('when the queue answers', () => {
    it('reports the ingress as receiving', async () => {
      sqs.reset();
      // A long poll that comes back empty after a moment.
      sqs.on(ReceiveMessageCommand).callsFake(async () => {
        await sleep(20);
        return { Messages: [] };
      });
      const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }), 'bus');
      const ingress = startQueueIngress(new SQSClient({ region: 'eu-west-1' }), 'https://sqs/notify', bus, () => {});
      try {
        await waitFor(async () => (ingress.receiving() ? true : undefined), 5000, 'the first receive');
        assert.equal(ingress.receiving(), true);
      } finally {
        await ingress.stop();
      }
    });
  });
});

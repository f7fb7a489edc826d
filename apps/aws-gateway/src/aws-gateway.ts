import {
  attachNotifier,
  buildApp,
  type Log,
  loadWebhookSettings,
  type RunningService,
  WebhookDispatcher,
} from '@delta-augment/gateway';
import type { Config } from '@delta-augment/ports';
import { awsPorts, DynamoDbWebhookOutbox, startQueueIngress } from '@delta-augment/ports/aws';
import { webRoot } from '@delta-augment/web';

/**
 * The gateway and notifier on the AWS adapters (one EC2 instance of the auto-scaling group). The
 * augmenter runs as a Lambda, so there is no worker pool here; job events reach this instance's
 * WebSocket clients through its own notification queue.
 */
export const startAwsGateway = async (config: Config, log: Log): Promise<RunningService> => {
  const ports = awsPorts(config);
  const ingress = config.aws.notifyQueueUrl
    ? startQueueIngress(ports.clients.sqs, config.aws.notifyQueueUrl, ports.bus, log)
    : undefined;
  // `/readyz` is red while this instance's notification queue cannot be received from: its WebSocket
  // clients would get no live events.
  const readiness: Record<string, () => boolean> = ingress ? { ingress: () => ingress.receiving() } : {};
  // Webhooks: the outbox is in the jobs table; every instance runs the dispatcher, and each due row is
  // claimed by one of them (a conditional write), so each attempt is made once however many instances run.
  const webhooks = {
    outbox: new DynamoDbWebhookOutbox(ports.clients.dynamodb, config.aws.table),
    settings: loadWebhookSettings(),
  };
  const { app, context } = await buildApp({ config, ports, webRoot, readiness, webhooks });
  const dispatcher = new WebhookDispatcher({
    outbox: webhooks.outbox,
    jobs: context.jobs,
    clock: context.clock,
    settings: webhooks.settings,
    log,
  });
  dispatcher.start(1_000);
  const address = await app.listen({ port: config.port, host: config.host });
  const notifier = attachNotifier(app.server, config, ports, log);
  if (!ingress) log('NOTIFY_QUEUE_URL is not set: WebSocket clients get catch-up reads only, no live events');
  // No retention sweep here: on AWS one scheduled function sweeps for the whole stack (infra/retention-sweeper.ts),
  // so the instances do not each scan the table.
  log('Delta Augment gateway is up on AWS adapters', { url: address, region: config.aws.region });
  return {
    app,
    url: address,
    stop: async () => {
      await dispatcher.stop();
      await ingress?.stop();
      await notifier.close();
      await app.close();
      await ports.close();
    },
  };
};

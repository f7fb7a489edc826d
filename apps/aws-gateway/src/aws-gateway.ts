import { finaliseJob, queueArchiveRequests } from '@delta-augment/augmenter';
import {
  attachNotifier,
  buildApp,
  type Log,
  loadWebhookSettings,
  type RunningService,
  startArchiveDeadLetterSweep,
  startDatasetDeadLetterSweep,
  startUploadDeadlineSweep,
  WebhookDispatcher,
} from '@delta-augment/gateway';
import { ARCHIVE_QUEUE, type Config } from '@delta-augment/ports';
import { awsPorts, DynamoDbWebhookOutbox, startQueueIngress } from '@delta-augment/ports/aws';
import { webRoot } from '@delta-augment/web';

/**
 * The gateway and notifier on the AWS adapters (one EC2 instance of the auto-scaling group). The
 * augmenter runs as a Lambda, so there is no worker pool here; job events reach this instance's
 * WebSocket clients through its own notification queue.
 */
/** How often an instance looks for sources past their upload deadline. */
const DEADLINE_SWEEP_MS = 10 * 60_000;

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
  // Sources whose signed upload never arrived fail at UPLOAD_DEADLINE_SECONDS; their job's archive and
  // terminal event are the archiver's work (its queue), or done here when no archive queue is configured.
  // Every instance sweeps (failing a source is a conditional append, so concurrent sweeps agree), on a slow
  // timer since it scans the job table; moving it to the scheduled function is the next step.
  const stopDeadline = startUploadDeadlineSweep(
    context,
    config.aws.archiveQueueUrl
      ? queueArchiveRequests(ports.queue, ARCHIVE_QUEUE)
      : (jobId) => finaliseJob({ blobs: ports.blobs, jobs: context.jobs }, jobId),
    log,
    DEADLINE_SWEEP_MS,
  );
  // A job whose archiver was killed at every receive (out of memory, out of time) has its request in the archive
  // DLQ and nothing on the job: it fails once with a reason (the local reconciler's step; packages/gateway).
  const stopArchiveDeadLetters = config.aws.archiveDeadLetterQueueUrl
    ? startArchiveDeadLetterSweep({ queue: ports.queue, jobs: context.jobs, log }, DEADLINE_SWEEP_MS)
    : () => undefined;
  // Likewise a job whose dataset zip's reader was cut at every delivery (the augmenter Lambda's timeout or memory):
  // the zip's message is in the upload DLQ and the job still waits for its sources; it fails once with a reason.
  const stopDatasetDeadLetters = startDatasetDeadLetterSweep(
    { queue: ports.queue, jobs: context.jobs, log },
    DEADLINE_SWEEP_MS,
  );
  log('Delta Augment gateway is up on AWS adapters', { url: address, region: config.aws.region });
  return {
    app,
    url: address,
    stop: async () => {
      stopDeadline();
      stopArchiveDeadLetters();
      stopDatasetDeadLetters();
      await dispatcher.stop();
      await ingress?.stop();
      await notifier.close();
      await app.close();
      await ports.close();
    },
  };
};

import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeBus } from './aws.js';

/**
 * Feeds an EventBridgeBus from this instance's own notification queue (EventBridge rule → SNS topic →
 * one SQS queue per gateway instance, raw delivery), so that every instance sees every job event.
 * Long-polls until stopped; unreadable messages are dropped (the notifier repairs gaps from the store).
 */
export const startQueueIngress = (
  sqs: SQSClient,
  queueUrl: string,
  bus: EventBridgeBus,
  log: (message: string, fields?: Record<string, unknown>) => void,
): { stop(): Promise<void> } => {
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
          { abortSignal: abort.signal },
        );
        for (const message of Messages) {
          try {
            bus.deliver(message.Body ?? '');
          } catch (error) {
            log('notification dropped', { reason: (error as Error).message });
          }
        }
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
            }),
          );
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        log('notification queue receive failed; retrying', { reason: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
  return {
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
};

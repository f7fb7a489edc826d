import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';
import type { GatewayApp } from '../typed-app.js';
import { knownQueue, queueName } from './queue-params.js';
import { clientErrors } from './schemas.js';

/** Messages looked at, at most, to find one by id for deletion (receives of 10). */
const DELETE_SCAN_LIMIT = 1000;
/** Seconds a message is held while the DLQ is scanned for the one to delete. */
const DELETE_HOLD_SECONDS = 30;

/** Deletes one message of a queue by its id (admin; registered by `queueRoutes`; the DLQ console uses it). */
export const deleteMessageRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  const { queue } = ctx.ports;
  app.delete(
    '/api/queues/:name/messages/:messageId',
    {
      schema: {
        summary: 'Delete one message of a queue by its id (admin; the DLQ console uses it)',
        tags: ['queues'],
        params: Type.Object({ name: queueName, messageId: Type.String({ maxLength: 100 }) }),
        response: {
          200: { type: 'object', properties: { queue: { type: 'string' }, deleted: { type: 'string' } } },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const { name, messageId } = request.params;
      await knownQueue(ctx, name);
      // The port deletes by receipt handle: receive (holding what is seen), delete the one, release the rest.
      const held: { receiptHandle: string }[] = [];
      let found = false;
      try {
        while (!found && held.length < DELETE_SCAN_LIMIT) {
          const batch = await queue.receive(name, {
            maxMessages: 10,
            visibilityTimeoutSeconds: DELETE_HOLD_SECONDS,
          });
          if (batch.length === 0) break;
          for (const message of batch) {
            if (message.messageId === messageId && !found) {
              await queue.delete(name, message.receiptHandle);
              found = true;
            } else held.push(message);
          }
        }
      } finally {
        await Promise.all(held.map((m) => queue.changeVisibility(name, m.receiptHandle, 0).catch(() => undefined)));
      }
      if (!found) throw notFound(`message ${messageId} in ${name}`);
      return { queue: name, deleted: messageId };
    },
  );
};

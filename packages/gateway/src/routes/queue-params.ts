import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';

export const queueName = Type.String({ maxLength: 80, description: 'uploads or uploads-dlq' });
export const queueParams = Type.Object({ name: queueName });

/** Throws 404 unless the queue exists. */
export const knownQueue = async (ctx: GatewayContext, name: string): Promise<void> => {
  if (!(await ctx.ports.queue.queues()).includes(name)) throw notFound(`queue ${name}`);
};

/** Every queue's stats, each with the depth of its dead-letter queue (0 when it has one and it is empty). */
export const queueStatsWithDeadLetters = async (ctx: GatewayContext) => {
  const { queue } = ctx.ports;
  const stats = await Promise.all((await queue.queues()).map((name) => queue.stats(name)));
  return stats.map((s) => ({
    ...s,
    deadLetterQueueDepth: s.deadLetterQueue
      ? (stats.find((d) => d.name === s.deadLetterQueue)?.visible ?? 0)
      : undefined,
  }));
};

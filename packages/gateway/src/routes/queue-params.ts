import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';

export const queueName = Type.String({ maxLength: 80, description: 'uploads or uploads-dlq' });
export const queueParams = Type.Object({ name: queueName });

/** Throws 404 unless the queue exists. */
export const knownQueue = async (ctx: GatewayContext, name: string): Promise<void> => {
  if (!(await ctx.ports.queue.queues()).includes(name)) throw notFound(`queue ${name}`);
};

import { blobKeys, decodeS3Key, isTestEvent, parseS3Notification, parseSourceKey } from '@delta-augment/core';
import { RedriveTask } from '@delta-augment/ports';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import { clientErrors, tokenQuery } from './schemas.js';

const requireAdmin = (request: FastifyRequest) => {
  if (!request.caller.admin) throw forbidden('queue operations need the admin key');
};

const queueParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 80, description: 'uploads or uploads-dlq' } },
} as const;

/** A queue's stats as the admin routes answer them. */
export const statsSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    visible: { type: 'integer' },
    inFlight: { type: 'integer' },
    delayed: { type: 'integer' },
    oldestAgeSeconds: { type: 'number' },
    deadLetterQueue: { type: 'string' },
    deadLetterQueueDepth: { type: 'integer' },
    maxReceiveCount: { type: 'integer' },
    visibilityTimeoutSeconds: { type: 'integer' },
  },
} as const;

const peekedSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    messageId: { type: 'string' },
    body: { type: 'string' },
    receiveCount: { type: 'integer' },
    sentAt: { type: 'string' },
    kind: { type: 'string', description: 'source, s3:TestEvent, unknown object or unreadable' },
    jobId: { type: 'string' },
    sourceId: { type: 'string' },
    sourceName: { type: 'string' },
    owner: { type: 'string' },
    failureReason: { type: 'string' },
    thumbnail: { type: 'string', description: "path of the source's thumbnail, when it still exists" },
  },
} as const;

/**
 * What a dead-lettered message is about: its job, source file and owner, the last failure the job recorded,
 * and the source's thumbnail while it exists.
 */
export const describeMessage = async (ctx: GatewayContext, body: string) => {
  try {
    const event = parseS3Notification(body);
    if (isTestEvent(event)) return { kind: 's3:TestEvent' };
    const record = event.Records[0];
    const parsed = record ? parseSourceKey(decodeS3Key(record.s3.object.key)) : undefined;
    if (!parsed) return { kind: 'unknown object' };
    const [state, source] = await Promise.all([
      ctx.jobs.load(parsed.jobId),
      ctx.jobs.loadSource(parsed.jobId, parsed.sourceId),
    ]);
    const thumbnailKey = blobKeys.thumbnail(parsed.jobId, parsed.sourceId);
    // A thumbnail is a nicety: storage that cannot answer must not hide the job, the owner and the reason.
    const hasThumbnail =
      source !== undefined && (await ctx.blobs.head(thumbnailKey).catch(() => undefined)) !== undefined;
    return {
      kind: 'source',
      jobId: parsed.jobId,
      sourceId: parsed.sourceId,
      sourceName: source ? (source.label ? `${source.label}/${source.name}` : source.name) : undefined,
      owner: state?.owner,
      failureReason: source?.failure ?? (state ? undefined : 'job no longer exists'),
      thumbnail: hasThumbnail ? `/api/jobs/${parsed.jobId}/sources/${parsed.sourceId}/thumbnail` : undefined,
    };
  } catch (error) {
    return { kind: 'unreadable', failureReason: (error as Error).message };
  }
};

export const queueRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  const { queue } = ctx.ports;
  const known = async (name: string) => {
    if (!(await queue.queues()).includes(name)) throw notFound(`queue ${name}`);
  };

  app.get(
    '/api/queues',
    {
      schema: {
        summary: 'Each queue with visible, in-flight, delayed, oldest age and its DLQ (admin)',
        tags: ['queues'],
        response: {
          200: { type: 'object', properties: { queues: { type: 'array', items: statsSchema } } },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const names = await queue.queues();
      const stats = await Promise.all(names.map((name) => queue.stats(name)));
      return {
        queues: stats.map((s) => ({
          ...s,
          deadLetterQueueDepth: s.deadLetterQueue
            ? (stats.find((d) => d.name === s.deadLetterQueue)?.visible ?? 0)
            : undefined,
        })),
      };
    },
  );

  app.get(
    '/api/queues/:name/messages',
    {
      schema: {
        summary: 'Peek messages (a DLQ shows each with its job, source, failure reason and receive count) (admin)',
        tags: ['queues'],
        params: queueParams,
        querystring: {
          type: 'object',
          properties: { max: { type: 'integer', minimum: 1, maximum: 100, default: 10 }, ...tokenQuery },
        },
        response: {
          200: {
            type: 'object',
            properties: { queue: { type: 'string' }, messages: { type: 'array', items: peekedSchema } },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      const messages = await queue.peek(name, { max: (request.query as { max: number }).max });
      return {
        queue: name,
        messages: await Promise.all(messages.map(async (m) => ({ ...m, ...(await describeMessage(ctx, m.body)) }))),
      };
    },
  );

  app.post(
    '/api/queues/:name/redrive',
    {
      schema: {
        summary: 'Move dead-lettered messages (all, or the listed ids) back to their source queue (admin)',
        tags: ['queues'],
        params: queueParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { messageIds: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 1000 } },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: { queue: { type: 'string' }, moved: { type: 'integer' } },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      const body = (request.body ?? {}) as { messageIds?: string[] };
      return { queue: name, ...(await queue.redrive(name, { messageIds: body.messageIds })) };
    },
  );

  const tasks = new Map<string, RedriveTask>();
  const taskSchema = {
    type: 'object',
    properties: {
      queue: { type: 'string' },
      state: { type: 'string', enum: ['idle', 'running', 'cancelled', 'completed', 'failed'] },
      moved: { type: 'integer' },
      remaining: { type: 'integer' },
      error: { type: 'string' },
    },
  } as const;

  app.post(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: 'Start (or resume) a background redrive of a DLQ in batches; cancellable (admin)',
        tags: ['queues'],
        params: queueParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { batchSize: { type: 'integer', minimum: 1, maximum: 1000, default: 10 } },
        },
        response: { 202: taskSchema, ...clientErrors },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      const body = (request.body ?? {}) as { batchSize?: number };
      let task = tasks.get(name);
      const state = task?.status().state;
      if (!task || state === 'completed' || state === 'failed') {
        task = new RedriveTask(queue, name, { batchSize: body.batchSize ?? 10 });
        tasks.set(name, task);
      }
      void task.start();
      return reply.code(202).send({ queue: name, ...task.status() });
    },
  );

  app.get(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: "The DLQ's background redrive: state, moved, remaining (admin)",
        tags: ['queues'],
        params: queueParams,
        response: { 200: taskSchema, ...clientErrors },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      const task = tasks.get(name);
      if (!task) throw notFound(`a redrive task of ${name}`);
      return { queue: name, ...task.status() };
    },
  );

  app.delete(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: 'Cancel the background redrive after its current batch (admin)',
        tags: ['queues'],
        params: queueParams,
        response: { 202: taskSchema, ...clientErrors },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      const task = tasks.get(name);
      if (!task) throw notFound(`a redrive task of ${name}`);
      task.cancel();
      return reply.code(202).send({ queue: name, ...task.status() });
    },
  );

  app.post(
    '/api/queues/:name/purge',
    {
      schema: {
        summary: 'Delete every message of a queue (admin)',
        tags: ['queues'],
        params: queueParams,
        response: {
          200: { type: 'object', properties: { queue: { type: 'string' }, purged: { type: 'boolean' } } },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { name } = request.params as { name: string };
      await known(name);
      await queue.purge(name);
      return { queue: name, purged: true };
    },
  );
};

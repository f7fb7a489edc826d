import { blobKeys, decodeS3Key, isTestEvent, parseS3Notification, parseSourceKey } from '@delta-augment/core';
import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import type { GatewayApp } from '../typed-app.js';
import { deleteMessageRoutes } from './delete-message.js';
import { knownQueue, queueParams, queueStatsWithDeadLetters } from './queue-params.js';
import { redriveTaskRoutes } from './redrive-task.js';
import { clientErrors, tokenQuery } from './schemas.js';

const DEFAULT_PEEK = 10;

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

/** The queue operations (admin; register in `adminScope`). */
export const queueRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  const { queue } = ctx.ports;
  const known = (name: string) => knownQueue(ctx, name);

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
    async () => ({ queues: await queueStatsWithDeadLetters(ctx) }),
  );

  app.get(
    '/api/queues/:name/messages',
    {
      schema: {
        summary: 'Peek messages (a DLQ shows each with its job, source, failure reason and receive count) (admin)',
        tags: ['queues'],
        params: queueParams,
        querystring: Type.Object({
          max: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PEEK })),
          ...tokenQuery,
        }),
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
      const { name } = request.params;
      await known(name);
      const messages = await queue.peek(name, { max: request.query.max ?? DEFAULT_PEEK });
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
        body: Type.Union([
          Type.Object(
            { messageIds: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 1000 })) },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
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
      const { name } = request.params;
      await known(name);
      return { queue: name, ...(await queue.redrive(name, { messageIds: request.body?.messageIds })) };
    },
  );

  await redriveTaskRoutes(app, ctx);
  await deleteMessageRoutes(app, ctx);

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
      const { name } = request.params;
      await known(name);
      await queue.purge(name);
      return { queue: name, purged: true };
    },
  );
};

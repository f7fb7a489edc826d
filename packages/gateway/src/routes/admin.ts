import type { FastifyInstance } from 'fastify';
import { ConsoleMonitor, queueAlerts } from '../console/console-monitor.js';
import { ownerUsage } from '../console/owner-usage.js';
import { limitsFor } from '../console/quotas.js';
import type { GatewayContext } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import { statsSchema } from './queues.js';
import { clientErrors, tokenQuery } from './schemas.js';

const numberMap = { type: 'object', additionalProperties: { type: 'number' } } as const;
const sampleSchema = {
  type: 'object',
  properties: {
    at: { type: 'number' },
    visible: { type: 'integer' },
    inFlight: { type: 'integer' },
    delayed: { type: 'integer' },
    oldestAgeSeconds: { type: 'number' },
  },
} as const;

/** Messages looked at, at most, to find one by id for deletion (receives of 10). */
const DELETE_SCAN_LIMIT = 1000;
/** Seconds a message is held while the DLQ is scanned for the one to delete. */
const DELETE_HOLD_SECONDS = 30;

/**
 * The operator console's API (admin key only, checked once by this scope's hook): an overview of the queues
 * with their last hour and alert state, throughput, owners' usage against their quotas, and deleting one
 * dead-lettered message. Also serves `/console` (the page asks for the key itself).
 */
export const adminRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  const { queue, events, bus } = ctx.ports;
  const monitor = new ConsoleMonitor(
    { queue, bus, now: () => ctx.clock.now() },
    { sampleMs: ctx.config.console.sampleSeconds * 1000 },
  );
  app.addHook('onReady', async () => monitor.start());
  app.addHook('onClose', async () => monitor.stop());

  app.get('/console', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/console.html'),
  );

  await app.register(async (admin) => {
    admin.addHook('preHandler', async (request) => {
      if (!request.caller?.admin) throw forbidden('the operator console needs the admin key');
    });

    admin.get(
      '/api/admin/overview',
      {
        schema: {
          summary: 'Queues now with their alert state, their last hour, and throughput (admin)',
          tags: ['admin'],
          querystring: { type: 'object', properties: { ...tokenQuery } },
          response: {
            200: {
              type: 'object',
              properties: {
                queues: {
                  type: 'array',
                  items: {
                    ...statsSchema,
                    properties: { ...statsSchema.properties, alerts: { type: 'array', items: { type: 'string' } } },
                  },
                },
                history: { type: 'object', additionalProperties: { type: 'array', items: sampleSchema } },
                throughput: {
                  type: 'object',
                  properties: {
                    bucketSeconds: { type: 'number' },
                    buckets: { type: 'array', items: numberMap },
                  },
                },
                thresholds: { type: 'object', properties: { oldestAgeSeconds: { type: 'number' } } },
              },
            },
            ...clientErrors,
          },
        },
      },
      async () => {
        const names = await queue.queues();
        const stats = await Promise.all(names.map((name) => queue.stats(name)));
        const threshold = ctx.config.console.oldestAgeAlertSeconds;
        const now = ctx.clock.now();
        return {
          queues: stats.map((s) => {
            const depth = s.deadLetterQueue ? stats.find((d) => d.name === s.deadLetterQueue)?.visible : undefined;
            return { ...s, deadLetterQueueDepth: depth, alerts: queueAlerts(s, depth, threshold) };
          }),
          history: monitor.history.snapshot(now),
          throughput: { bucketSeconds: monitor.throughput.bucketMs / 1000, buckets: monitor.throughput.snapshot(now) },
          thresholds: { oldestAgeSeconds: threshold },
        };
      },
    );

    admin.get(
      '/api/admin/owners',
      {
        schema: {
          summary: "Each owner's usage (jobs and variants today, bytes stored) against their quotas (admin)",
          tags: ['admin'],
          querystring: { type: 'object', properties: { ...tokenQuery } },
          response: {
            200: {
              type: 'object',
              properties: {
                owners: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { owner: { type: 'string' }, usage: numberMap, limits: numberMap },
                  },
                },
              },
            },
            ...clientErrors,
          },
        },
      },
      async () => {
        // Owners are who the API keys name (and `local` in open mode): a bounded list, unlike a scan of jobs.
        const owners = [...new Set([...ctx.config.apiKeys.values(), ...(ctx.config.apiKeys.size ? [] : ['local'])])];
        const { defaults, overrides } = ctx.config.quotas;
        const now = ctx.clock.now();
        return {
          owners: await Promise.all(
            owners.sort().map(async (owner) => ({
              owner,
              usage: await ownerUsage(events, owner, now),
              limits: limitsFor(defaults, overrides, owner),
            })),
          ),
        };
      },
    );

    admin.delete(
      '/api/queues/:name/messages/:messageId',
      {
        schema: {
          summary: 'Delete one message of a queue by its id (admin; the DLQ console uses it)',
          tags: ['queues'],
          params: {
            type: 'object',
            required: ['name', 'messageId'],
            properties: { name: { type: 'string', maxLength: 80 }, messageId: { type: 'string', maxLength: 100 } },
          },
          response: {
            200: { type: 'object', properties: { queue: { type: 'string' }, deleted: { type: 'string' } } },
            ...clientErrors,
          },
        },
      },
      async (request) => {
        const { name, messageId } = request.params as { name: string; messageId: string };
        if (!(await queue.queues()).includes(name)) throw notFound(`queue ${name}`);
        // The port deletes by receipt handle: receive (holding what is seen), delete the one, release the rest.
        const held: { receiptHandle: string }[] = [];
        let found = false;
        try {
          while (!found && held.length < DELETE_SCAN_LIMIT) {
            const batch = await queue.receive(name, { maxMessages: 10, visibilityTimeoutSeconds: DELETE_HOLD_SECONDS });
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
  });
};

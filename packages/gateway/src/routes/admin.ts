import { adminScope } from '../admin-scope.js';
import { ConsoleMonitor, queueAlerts } from '../console/console-monitor.js';
import { ownerUsage } from '../console/owner-usage.js';
import { limitsFor } from '../console/quotas.js';
import type { GatewayContext } from '../context.js';
import type { GatewayApp } from '../typed-app.js';
import { queueStatsWithDeadLetters } from './queue-params.js';
import { statsSchema } from './queues.js';
import { clientErrors, tokenOnlyQuery } from './schemas.js';

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

/**
 * The operator console's API (admin key only, checked by `adminScope`): an overview of the queues with their
 * last hour and alert state, throughput, and owners' usage against their quotas (the DLQ's message deletion is
 * a queue route). Also serves `/console` (the page asks for the key itself).
 */
export const adminRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
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

  await app.register(
    adminScope((admin) => {
      admin.get(
        '/api/admin/overview',
        {
          schema: {
            summary: 'Queues now with their alert state, their last hour, and throughput (admin)',
            tags: ['admin'],
            querystring: tokenOnlyQuery,
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
          const threshold = ctx.config.console.oldestAgeAlertSeconds;
          const now = ctx.clock.now();
          return {
            queues: (await queueStatsWithDeadLetters(ctx)).map((s) => ({
              ...s,
              alerts: queueAlerts(s, s.deadLetterQueueDepth, threshold),
            })),
            history: monitor.history.snapshot(now),
            throughput: {
              bucketSeconds: monitor.throughput.bucketMs / 1000,
              buckets: monitor.throughput.snapshot(now),
            },
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
            querystring: tokenOnlyQuery,
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
    }),
  );
};

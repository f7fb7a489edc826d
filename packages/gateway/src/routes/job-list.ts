import { isId, type JobStatus } from '@delta-augment/core';
import { decodeCursor } from '@delta-augment/ports';
import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { badRequest } from '../errors.js';
import { jobViewSchema, loadView, SOURCES_IN_LIST } from '../job-view.js';
import type { GatewayApp } from '../typed-app.js';
import { webhookView } from '../webhooks/register.js';
import { clientErrors, tokenQuery } from './schemas.js';

const STATUSES: readonly JobStatus[] = ['created', 'queued', 'processing', 'completed', 'failed'];
const DEFAULT_LIMIT = 20;

const listQuery = Type.Object(
  {
    owner: Type.Optional(Type.String({ maxLength: 200, description: "admin only: one owner's jobs" })),
    tag: Type.Optional(Type.String({ maxLength: 40 })),
    q: Type.Optional(Type.String({ maxLength: 40 })),
    status: Type.Optional(Type.Enum(STATUSES, { type: 'string' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ maxLength: 400 })),
    ...tokenQuery,
  },
  { additionalProperties: false },
);

/** GET /api/jobs: the caller's jobs, newest first, filtered and by page. */
export const jobListRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.get(
    '/api/jobs',
    {
      schema: {
        summary: "List the caller's jobs, newest first",
        description:
          'Filter by tag, status and creation time (from inclusive, to exclusive); `q` searches: a job id finds that ' +
          'job, anything else is matched against the tags (case-insensitive). Pages of `limit`; pass the returned ' +
          '`cursor` for the next page.',
        tags: ['jobs'],
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: jobViewSchema }, cursor: { type: 'string' } },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.cursor && !decodeCursor(q.cursor)) throw badRequest('cursor', 'cursor is not one this API returned');
      if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
        throw badRequest('from', `from (${q.from}) must be before to (${q.to})`);
      }
      // Each job with its webhook's delivery status and attempts, which the web page's cards show.
      const listed = async (state: Parameters<typeof loadView>[1]) => ({
        ...(await loadView(ctx.jobs, state, SOURCES_IN_LIST)),
        webhook: await webhookView(ctx, state.id),
      });
      const search = q.q?.trim();
      if (search && isId(search) && search.startsWith('j_')) {
        const state = await ctx.jobs.load(search);
        const visible = state && (request.caller.admin || state.owner === request.caller.owner);
        return { items: visible ? [await listed(state)] : [] };
      }
      const page = await ctx.ports.events.query({
        owner: request.caller.admin ? q.owner || undefined : request.caller.owner,
        tag: (q.tag ?? search)?.trim().toLowerCase() || undefined,
        status: q.status,
        createdAfter: q.from && new Date(q.from).toISOString(),
        createdBefore: q.to && new Date(q.to).toISOString(),
        limit: q.limit ?? DEFAULT_LIMIT,
        cursor: q.cursor,
      });
      const items = search && q.tag ? page.items.filter((s) => s.tags.includes(search.toLowerCase())) : page.items;
      return {
        items: await Promise.all(items.map(listed)),
        cursor: page.cursor,
      };
    },
  );
};

import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { sourceView, sourceViewSchema } from '../job-view.js';
import type { GatewayApp } from '../typed-app.js';
import { loadOwnJob } from './own-job.js';
import { clientErrors, eventSchema, idParams, tokenQuery } from './schemas.js';

/** Events per page of GET /api/jobs/:id/events at most. */
const MAX_EVENTS_PAGE = 1000;
/** Sources per page of GET /api/jobs/:id/sources unless asked. */
const DEFAULT_SOURCES_PAGE = 100;

const eventsQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'only events with a greater seq' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENTS_PAGE, default: MAX_EVENTS_PAGE })),
  ...tokenQuery,
});

const sourcesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_SOURCES_PAGE })),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
  ...tokenQuery,
});

/** A job's events and its sources, by page. */
export const jobPageRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.get(
    '/api/jobs/:id/events',
    {
      schema: {
        summary: "A job's events in seq order, by page",
        description:
          'At most `limit` events with a seq greater than `after`. A full page carries a `Link: <...>; rel="next"` ' +
          'header (and `x-next-after`) naming the next page; the seq of the last event is the cursor.',
        tags: ['jobs'],
        params: idParams,
        querystring: eventsQuery,
        response: { 200: { type: 'array', items: eventSchema }, ...clientErrors },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      const { after = 0, limit = MAX_EVENTS_PAGE } = request.query;
      const events = await ctx.jobs.read(state.id, after, limit);
      const last = events.at(-1);
      if (last && events.length === limit) {
        reply
          .header('x-next-after', String(last.seq))
          .header('link', `</api/jobs/${state.id}/events?after=${last.seq}&limit=${limit}>; rel="next"`);
      }
      return events;
    },
  );

  app.get(
    '/api/jobs/:id/sources',
    {
      schema: {
        summary: "A job's sources, by page",
        tags: ['jobs'],
        params: idParams,
        querystring: sourcesQuery,
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: sourceViewSchema }, cursor: { type: 'string' } },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      const { limit = DEFAULT_SOURCES_PAGE, cursor } = request.query;
      const page = await ctx.jobs.sources(state.id, { limit, cursor });
      return { items: page.items.map((s) => sourceView(s, state)), cursor: page.cursor };
    },
  );
};

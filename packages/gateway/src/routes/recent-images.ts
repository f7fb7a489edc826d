import { indicesOf, type JobState, type SourceState } from '@delta-augment/core';
import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import type { GatewayApp } from '../typed-app.js';
import { clientErrors, tokenQuery } from './schemas.js';

/** Pages of jobs read at most per request, so that a caller with many empty jobs cannot make one request expensive. */
const MAX_PAGES = 5;
const DEFAULT_LIMIT = 24;

const imageSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    sourceId: { type: 'string' },
    name: { type: 'string' },
    label: { type: 'string' },
    status: {
      type: 'string',
      description: 'the source: pending, uploaded, processing, completed, failed, dead-lettered',
    },
    width: { type: 'integer' },
    height: { type: 'integer' },
    variants: { type: 'integer', description: 'variants written so far' },
    thumbnailUrl: { type: 'string', description: 'a WebP preview, once the source has been processed' },
    previewUrl: { type: 'string', description: 'the first variant, once it is written' },
    createdAt: { type: 'string' },
  },
} as const;

const imagesOf = (state: JobState, sources: readonly SourceState[]) =>
  sources.map((source) => {
    const base = `/api/jobs/${state.id}/sources/${source.sourceId}`;
    const first = indicesOf(source.written)[0];
    return {
      jobId: state.id,
      sourceId: source.sourceId,
      name: source.name,
      label: source.label,
      status: source.status,
      width: source.width,
      height: source.height,
      variants: source.variants,
      thumbnailUrl: `${base}/thumbnail`,
      previewUrl: first === undefined ? undefined : `${base}/variants/${first}`,
      createdAt: state.createdAt,
    };
  });

/** The home page's grid: the caller's most recent source images, newest job first. */
export const recentImageRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.get(
    '/api/images/recent',
    {
      schema: {
        summary: "The caller's most recent images with thumbnails, for the home grid",
        tags: ['jobs'],
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT })), ...tokenQuery },
          { additionalProperties: false },
        ),
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: imageSchema } } },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const { limit = DEFAULT_LIMIT } = request.query;
      const owner = request.caller.admin ? undefined : request.caller.owner;
      const items: ReturnType<typeof imagesOf> = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES && items.length < limit; page++) {
        const jobs = await ctx.ports.events.query({ owner, limit: Math.min(100, limit), cursor });
        for (const state of jobs.items) {
          if (items.length >= limit) break;
          const sources = await ctx.jobs.sources(state.id, { limit: limit - items.length });
          items.push(...imagesOf(state, sources.items));
        }
        cursor = jobs.cursor;
        if (!cursor) break;
      }
      return { items: items.slice(0, limit) };
    },
  );
};

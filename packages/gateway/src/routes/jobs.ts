import { blobKeys, hasIndex, isId, type JobStatus, type SourceState } from '@delta-augment/core';
import { DEAD_LETTER_QUEUE, decodeCursor, UPLOAD_QUEUE } from '@delta-augment/ports';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GatewayContext } from '../context.js';
import { badRequest, forbidden, notFound, RequestError, unsupported } from '../errors.js';
import { jobViewSchema, loadView, SOURCES_IN_LIST, sourceView, sourceViewSchema } from '../job-view.js';
import { webhookView } from '../webhooks/register.js';
import {
  createFromSignedRequest,
  createFromUpload,
  resignUploads,
  signedRequestSchema,
  signedUploadSchema,
  uploadFormSchema,
} from './create-routes.js';
import { labelRoutes } from './labels.js';
import { loadOwnJob } from './own-job.js';
import { recentImageRoutes } from './recent-images.js';
import {
  binary,
  clientErrors,
  errorSchema,
  eventSchema,
  idParams,
  sourceParams,
  tokenQuery,
  variantParams,
} from './schemas.js';

const sendBlob = async (ctx: GatewayContext, reply: FastifyReply, key: string, fileName?: string) => {
  const head = await ctx.ports.blobs.head(key);
  if (!head) throw notFound('the file');
  reply
    .header('content-type', head.contentType)
    .header('content-length', head.size)
    .header('cache-control', 'private, max-age=3600');
  if (fileName) reply.header('content-disposition', `attachment; filename="${fileName}"`);
  return reply.send(await ctx.ports.blobs.get(key));
};

/** Events per page of GET /api/jobs/:id/events at most. */
const MAX_EVENTS_PAGE = 1000;

const STATUSES: readonly JobStatus[] = ['created', 'queued', 'processing', 'completed', 'failed'];

interface ListQuery {
  owner?: string;
  tag?: string;
  q?: string;
  status?: JobStatus;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export const jobRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  app.post(
    '/api/jobs',
    {
      config: {
        // The multipart form is read part by part by `readForm`; described here for /docs only.
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: {
            ...schema,
            body: {
              content: {
                'application/json': { schema: signedRequestSchema(ctx.config) },
                'multipart/form-data': { schema: uploadFormSchema(ctx.config) },
              },
            },
          },
        }),
      },
      schema: {
        summary: 'Create a job',
        description:
          'multipart/form-data: one or more `file` parts (images, or one dataset .zip whose folders are class labels) ' +
          'and the fields variants, tags, preset or pipeline, seed → 202 with the queued job. ' +
          'application/json: `{ files: [{ name, bytes, label? }], variants, tags, preset | pipeline, seed }` → 201 with ' +
          'the job and one signed PUT URL per file, for direct-to-storage uploads that the gateway does not carry.',
        tags: ['jobs'],
        consumes: ['multipart/form-data', 'application/json'],
        body: { content: { 'application/json': { schema: signedRequestSchema(ctx.config) } } },
        response: {
          202: { description: 'the job, queued', ...jobViewSchema },
          201: {
            description: 'the job, waiting for its uploads',
            type: 'object',
            properties: {
              ...jobViewSchema.properties,
              uploads: { type: 'array', items: signedUploadSchema },
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      if (request.isMultipart()) return createFromUpload(ctx, request, reply);
      if (request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
        return createFromSignedRequest(ctx, request, reply);
      }
      throw unsupported('content-type', 'send multipart/form-data (files) or application/json (signed uploads)');
    },
  );

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
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            owner: { type: 'string', maxLength: 200, description: "admin only: one owner's jobs" },
            tag: { type: 'string', maxLength: 40 },
            q: { type: 'string', maxLength: 40 },
            status: { type: 'string', enum: STATUSES },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', maxLength: 400 },
            ...tokenQuery,
          },
        },
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
      const q = request.query as ListQuery;
      if (q.cursor && !decodeCursor(q.cursor)) throw badRequest('cursor', 'cursor is not one this API returned');
      if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
        throw badRequest('from', `from (${q.from}) must be before to (${q.to})`);
      }
      const search = q.q?.trim();
      if (search && isId(search) && search.startsWith('j_')) {
        const state = await ctx.jobs.load(search);
        const visible = state && (request.caller.admin || state.owner === request.caller.owner);
        return { items: visible ? [await loadView(ctx.jobs, state, SOURCES_IN_LIST)] : [] };
      }
      const page = await ctx.ports.events.query({
        owner: request.caller.admin ? q.owner || undefined : request.caller.owner,
        tag: (q.tag ?? search)?.trim().toLowerCase() || undefined,
        status: q.status,
        createdAfter: q.from && new Date(q.from).toISOString(),
        createdBefore: q.to && new Date(q.to).toISOString(),
        limit: q.limit,
        cursor: q.cursor,
      });
      const items = search && q.tag ? page.items.filter((s) => s.tags.includes(search.toLowerCase())) : page.items;
      return {
        items: await Promise.all(items.map((s) => loadView(ctx.jobs, s, SOURCES_IN_LIST))),
        cursor: page.cursor,
      };
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      schema: {
        summary: "A job's state, progress, sources and tags",
        tags: ['jobs'],
        params: idParams,
        querystring: { type: 'object', properties: tokenQuery },
        response: { 200: jobViewSchema, ...clientErrors },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      return { ...(await loadView(ctx.jobs, state)), webhook: await webhookView(ctx, state.id) };
    },
  );

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
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, default: 0, description: 'only events with a greater seq' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_EVENTS_PAGE, default: MAX_EVENTS_PAGE },
            ...tokenQuery,
          },
        },
        response: { 200: { type: 'array', items: eventSchema }, ...clientErrors },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      const { after, limit } = request.query as { after: number; limit: number };
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
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 400 },
            ...tokenQuery,
          },
        },
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
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      const page = await ctx.jobs.sources(state.id, { limit, cursor });
      return { items: page.items.map((s) => sourceView(s, state)), cursor: page.cursor };
    },
  );

  app.get(
    '/api/jobs/:id/archive',
    {
      schema: {
        summary: "The job's zip, streamed: variants in their label folders, manifest.json and manifest.csv",
        tags: ['jobs'],
        params: idParams,
        querystring: { type: 'object', properties: tokenQuery },
        produces: ['application/zip'],
        response: {
          200: { description: 'the zip', content: { 'application/zip': { schema: binary('the zip') } } },
          409: { description: 'the job has no archive yet', ...errorSchema },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      if (!state.archive) {
        throw new RequestError('NOT_READY', `job ${state.id} has no archive yet (status ${state.status})`, 409, 'id');
      }
      return sendBlob(ctx, reply, state.archive.key, `${state.id}.zip`);
    },
  );

  app.get(
    '/api/jobs/:id/sources/:sourceId/variants/:index',
    {
      schema: {
        summary: 'One variant image, for preview',
        tags: ['jobs'],
        params: variantParams,
        querystring: { type: 'object', properties: tokenQuery },
        produces: ['image/jpeg', 'image/png', 'image/webp'],
        response: { 200: binary('the variant image'), ...clientErrors },
      },
    },
    async (request, reply) => {
      const { id, sourceId, index } = request.params as { id: string; sourceId: string; index: number };
      const state = await loadOwnJob(ctx, request, id);
      const source = await ctx.jobs.loadSource(state.id, sourceId);
      if (!source?.ext || !hasIndex(source.written, index)) throw notFound(`variant ${index} of source ${sourceId}`);
      return sendBlob(ctx, reply, blobKeys.variant(state.id, sourceId, index, source.ext));
    },
  );

  app.get(
    '/api/jobs/:id/sources/:sourceId/thumbnail',
    {
      schema: {
        summary: 'A small WebP preview of a source image (written when the source is first processed)',
        tags: ['jobs'],
        params: sourceParams,
        querystring: { type: 'object', properties: tokenQuery },
        produces: ['image/webp'],
        response: { 200: binary('the thumbnail'), ...clientErrors },
      },
    },
    async (request, reply) => {
      const { id, sourceId } = request.params as { id: string; sourceId: string };
      const state = await loadOwnJob(ctx, request, id);
      if (!(await ctx.jobs.loadSource(state.id, sourceId))) throw notFound(`source ${sourceId}`);
      return sendBlob(ctx, reply, blobKeys.thumbnail(id, sourceId));
    },
  );

  app.post(
    '/api/jobs/:id/uploads',
    {
      schema: {
        summary: 'Fresh signed PUT URLs for the sources not uploaded yet (resume an interrupted upload)',
        tags: ['jobs'],
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              uploaded: { type: 'array', items: { type: 'string' }, description: 'source ids already stored' },
              uploads: { type: 'array', items: signedUploadSchema },
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      return resignUploads(ctx, state);
    },
  );

  app.delete(
    '/api/jobs/:id',
    {
      schema: {
        summary: 'Delete a job and all its data (sources, variants, thumbnails, zip, events)',
        tags: ['jobs'],
        params: idParams,
        response: { 204: { description: 'deleted', type: 'null' }, ...clientErrors },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      await ctx.deleteJob(state.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/jobs/:id/retry',
    {
      schema: {
        summary: 'Retry the failed and dead-lettered sources of a job (admin)',
        tags: ['queues'],
        params: idParams,
        response: {
          202: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              retried: { type: 'array', items: { type: 'string' } },
              queue: { type: 'string' },
              deadLetterQueue: { type: 'string' },
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      if (!request.caller.admin) throw forbidden('retrying a job needs the admin key');
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      const retried: string[] = [];
      const failed: SourceState[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.jobs.sources(state.id, { limit: 1000, cursor });
        failed.push(...page.items.filter((s) => s.status === 'failed' || s.status === 'dead-lettered'));
        cursor = page.cursor;
      } while (cursor);
      for (const source of failed) {
        // A source whose object was never stored (an interrupted upload) cannot be retried: reopening it
        // without a message would leave the job open for ever.
        const head = await ctx.ports.blobs.head(source.key);
        if (!head) continue;
        await ctx.jobs.handleSource(state.id, source.sourceId, { type: 'RedriveSource' }, source);
        await ctx.resend(source.key, head.size);
        retried.push(source.sourceId);
      }
      return reply.code(202).send({ id: state.id, retried, queue: UPLOAD_QUEUE, deadLetterQueue: DEAD_LETTER_QUEUE });
    },
  );

  await recentImageRoutes(app, ctx);
  await labelRoutes(app, ctx);
};

import {
  blobKeys,
  DEAD_LETTER_QUEUE,
  decideRedrive,
  isId,
  type JobState,
  sanitizeLabel,
  sanitizeName,
  UPLOAD_QUEUE,
} from '@delta-augment/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { createJobForSignedUploads, createJobFromImages, type UploadedImage } from '../create-job.js';
import { extractDataset } from '../dataset.js';
import { badRequest, forbidden, notFound, tooLarge } from '../errors.js';
import { checkImage } from '../image-check.js';
import { type JobOptions, parsePipeline, parseSeed, parseTags, parseVariants } from '../job-options.js';
import { jobView, jobViewSchema } from '../job-view.js';
import { readForm } from '../multipart.js';
import { sniffType } from '../sniff.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^j_[A-Za-z0-9_-]{22}$' } },
} as const;
const errorSchema = { $ref: 'error#' };

/** Loads a job the caller may see; other owners' jobs are reported as missing, never as forbidden. */
export const loadOwnJob = async (ctx: GatewayContext, request: FastifyRequest, id: string): Promise<JobState> => {
  if (!isId(id)) throw notFound(`job ${id}`);
  const state = await ctx.jobs.load(id);
  if (!state || (!request.caller.admin && state.owner !== request.caller.owner)) throw notFound(`job ${id}`);
  return state;
};

const optionsFrom = (ctx: GatewayContext, fields: Record<string, unknown>): JobOptions => {
  const seed = parseSeed(fields.seed);
  return {
    variants: parseVariants(fields.variants, ctx.config),
    tags: parseTags(fields.tags),
    pipeline: parsePipeline(fields.preset, fields.pipeline, seed),
  };
};

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

export const jobRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  app.post(
    '/api/jobs',
    {
      schema: {
        summary: 'Create a job: multipart upload of images or one dataset zip, or JSON for signed direct uploads',
        tags: ['jobs'],
        consumes: ['multipart/form-data', 'application/json'],
        response: { 202: jobViewSchema, 201: { type: 'object', additionalProperties: true }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) return createSigned(ctx, request, reply);
      const { config } = ctx;
      const form = await readForm(request, {
        maxFileBytes: config.maxFileBytes,
        maxRequestBytes: config.maxRequestBytes,
        maxFiles: config.maxFilesPerJob,
      });
      const options = optionsFrom(ctx, form.fields);
      if (form.files.length === 0) throw badRequest('file', 'send at least one file part named "file"');
      const images: UploadedImage[] = [];
      for (const file of form.files) {
        if (sniffType(file.data) === 'zip') {
          if (form.files.length > 1) throw badRequest(file.field, 'a dataset zip must be the only file of its job');
          const entries = await extractDataset(file.data, file.field, {
            maxFiles: config.maxFilesPerJob,
            maxFileBytes: config.maxFileBytes,
            maxTotalBytes: config.maxRequestBytes * 4,
          });
          for (const [i, entry] of entries.entries()) {
            const label = entry.label ? `${entry.label}/` : '';
            const checked = await checkImage(
              `${file.field}:${label}${entry.name}`,
              `${label}${entry.name}`,
              entry.data,
              config.maxPixels,
            );
            images.push({ ...entry, ...checked, name: entry.name || `image-${i}` });
          }
        } else {
          const checked = await checkImage(file.field, file.name, file.data, config.maxPixels);
          images.push({ name: file.name, label: '', data: file.data, ...checked });
        }
      }
      const state = await createJobFromImages(ctx, request.caller.owner, options, images);
      ctx.metrics.jobsCreated.inc();
      return reply.code(202).header('location', `/api/jobs/${state.id}`).send(jobView(state));
    },
  );

  const createSigned = async (_ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const files = body.files;
    if (!Array.isArray(files) || files.length === 0)
      throw badRequest('files', 'files must list at least one { name, bytes } to upload');
    if (files.length > ctx.config.maxFilesPerJob)
      throw tooLarge('files', `more than ${ctx.config.maxFilesPerJob} files in one job (MAX_FILES_PER_JOB)`);
    const declared = files.map((f: unknown, i: number) => {
      const file = (f ?? {}) as Record<string, unknown>;
      const bytes = Number(file.bytes);
      if (typeof file.name !== 'string' || !file.name) throw badRequest(`files[${i}].name`, 'name is required');
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > ctx.config.maxFileBytes) {
        throw badRequest(
          `files[${i}].bytes`,
          `bytes must be an integer from 1 to ${ctx.config.maxFileBytes} (MAX_FILE_BYTES)`,
        );
      }
      return {
        name: sanitizeName(file.name),
        label: typeof file.label === 'string' ? sanitizeLabel(file.label) : '',
        bytes,
      };
    });
    const options = optionsFrom(ctx, body);
    const state = await createJobForSignedUploads(ctx, request.caller.owner, options, declared);
    const uploads = await Promise.all(
      state.sources.map(async (source) => ({
        sourceId: source.sourceId,
        name: source.name,
        method: 'PUT',
        url: await ctx.ports.blobs.signedUrl(source.key, 'PUT', ctx.signedUrlSeconds),
        expiresInSeconds: ctx.signedUrlSeconds,
      })),
    );
    ctx.metrics.jobsCreated.inc();
    return reply
      .code(201)
      .header('location', `/api/jobs/${state.id}`)
      .send({ ...jobView(state), uploads });
  };

  app.get(
    '/api/jobs',
    {
      schema: {
        summary: "List the caller's jobs, newest first; filter by tag, status and creation date; search with q",
        tags: ['jobs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tag: { type: 'string', maxLength: 40 },
            q: { type: 'string', maxLength: 40 },
            status: { type: 'string', enum: ['created', 'queued', 'processing', 'completed', 'failed'] },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', maxLength: 400 },
            token: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: jobViewSchema }, cursor: { type: 'string' } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const q = request.query as {
        tag?: string;
        q?: string;
        status?: JobState['status'];
        from?: string;
        to?: string;
        limit?: number;
        cursor?: string;
      };
      const page = await ctx.ports.events.query({
        owner: request.caller.admin ? undefined : request.caller.owner,
        tag: (q.tag ?? q.q)?.trim().toLowerCase() || undefined,
        status: q.status,
        createdAfter: q.from,
        createdBefore: q.to,
        limit: q.limit,
        cursor: q.cursor,
      });
      return { items: page.items.map(jobView), cursor: page.cursor };
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      schema: {
        summary: "A job's state and progress",
        tags: ['jobs'],
        params: idParams,
        response: { 200: jobViewSchema, '4xx': errorSchema },
      },
    },
    async (request) => jobView(await loadOwnJob(ctx, request, (request.params as { id: string }).id)),
  );

  app.get(
    '/api/jobs/:id/events',
    {
      schema: {
        summary: "A job's events in seq order",
        tags: ['jobs'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: 0, default: 0 }, token: { type: 'string' } },
        },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      return ctx.ports.events.read(state.id, (request.query as { after: number }).after);
    },
  );

  app.get(
    '/api/jobs/:id/archive',
    {
      schema: {
        summary: "The job's zip: variants in their label folders, manifest.json and manifest.csv",
        tags: ['jobs'],
        params: idParams,
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      if (!state.archive) {
        throw Object.assign(
          badRequest('id', `job ${state.id} has no archive yet (status ${state.status})`, 'NOT_READY'),
          { statusCode: 409 },
        );
      }
      return sendBlob(ctx, reply, state.archive.key, `${state.id}.zip`);
    },
  );

  const sourceParams = {
    type: 'object',
    required: ['id', 'sourceId'],
    properties: {
      id: idParams.properties.id,
      sourceId: { type: 'string', pattern: '^s_[A-Za-z0-9_-]{22}$' },
      index: { type: 'integer', minimum: 0 },
    },
  } as const;

  app.get(
    '/api/jobs/:id/sources/:sourceId/variants/:index',
    { schema: { summary: 'One variant image, for preview', tags: ['jobs'], params: sourceParams } },
    async (request, reply) => {
      const { id, sourceId, index } = request.params as { id: string; sourceId: string; index: number };
      const state = await loadOwnJob(ctx, request, id);
      const variant = state.sources.find((s) => s.sourceId === sourceId)?.variants[index];
      if (!variant) throw notFound(`variant ${index} of source ${sourceId}`);
      return sendBlob(ctx, reply, variant.key);
    },
  );

  app.get(
    '/api/jobs/:id/sources/:sourceId/thumbnail',
    { schema: { summary: 'A small preview of a source image', tags: ['jobs'], params: sourceParams } },
    async (request, reply) => {
      const { id, sourceId } = request.params as { id: string; sourceId: string };
      const state = await loadOwnJob(ctx, request, id);
      if (!state.sources.some((s) => s.sourceId === sourceId)) throw notFound(`source ${sourceId}`);
      return sendBlob(ctx, reply, blobKeys.thumbnail(id, sourceId));
    },
  );

  app.delete(
    '/api/jobs/:id',
    { schema: { summary: 'Delete a job and all its data', tags: ['jobs'], params: idParams } },
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
      },
    },
    async (request, reply) => {
      if (!request.caller.admin) throw forbidden('retrying a job needs the admin key');
      const state = await loadOwnJob(ctx, request, (request.params as { id: string }).id);
      const retried: string[] = [];
      for (const source of state.sources.filter((s) => s.status === 'failed' || s.status === 'dead-lettered')) {
        await ctx.jobs.updateExisting(state.id, (s) => decideRedrive(s, source.sourceId));
        const head = await ctx.ports.blobs.head(source.key);
        if (!head) continue;
        await ctx.resend(source.key, head.size);
        retried.push(source.sourceId);
      }
      return reply.code(202).send({ id: state.id, retried, queue: UPLOAD_QUEUE, deadLetterQueue: DEAD_LETTER_QUEUE });
    },
  );
};

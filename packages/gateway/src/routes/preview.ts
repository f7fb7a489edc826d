import { isId, NotFoundError, PermanentError, resolvePipeline } from '@delta-augment/core';
import { checkImage } from '@delta-augment/datasets';
import { renderPreview } from '@delta-augment/engine';
import type { FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { badRequest, notFound, RequestError, unsupported } from '../errors.js';
import { parsePipeline, parseSeed } from '../job-options.js';
import { fieldsOf } from '../json-body.js';
import { readForm } from '../multipart.js';
import type { GatewayApp } from '../typed-app.js';
import { loadOwnJob } from './own-job.js';
import { clientErrors } from './schemas.js';

/** At most this many variants per preview. */
export const PREVIEW_MAX_VARIANTS = 8;
/** Previews are rendered on a copy whose longest side is at most this many pixels. */
export const PREVIEW_MAX_SIDE = 1024;

const boundedInt = (raw: unknown, field: string, fallback: number, min: number, max: number, limit: string) => {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max)
    throw badRequest(field, `${field} must be an integer from ${min} to ${max} (${limit}), got ${JSON.stringify(raw)}`);
  return value;
};

const PREVIEW_FIELDS: ReadonlySet<string> = new Set(['preset', 'pipeline', 'seed', 'count', 'size']);

interface PreviewInput {
  readonly data: Buffer;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The image and options: an uploaded `file` (multipart), or `{ jobId, sourceId }` of a stored source (JSON). */
const inputOf = async (ctx: GatewayContext, request: FastifyRequest): Promise<PreviewInput> => {
  if (request.isMultipart()) {
    const form = await readForm(request, {
      maxFileBytes: ctx.config.maxFileBytes,
      maxRequestBytes: ctx.config.maxFileBytes + 128 * 1024,
      maxFiles: 1,
      fields: PREVIEW_FIELDS,
    });
    const file = form.files[0];
    if (!file) throw badRequest('file', 'send one image in a file part named "file"');
    await checkImage(file.field, file.name, file.data, ctx.config.maxPixels);
    return { data: file.data, fields: form.fields };
  }
  if (!request.headers['content-type']?.toLowerCase().startsWith('application/json'))
    throw unsupported('content-type', 'send multipart/form-data (a file) or application/json ({ jobId, sourceId })');
  const fields = fieldsOf(request.body);
  const jobId = String(fields.jobId ?? '');
  const sourceId = String(fields.sourceId ?? '');
  if (!jobId) throw badRequest('jobId', 'send jobId and sourceId of a stored source, or upload a file');
  const state = await loadOwnJob(ctx, request, jobId);
  const source = isId(sourceId) ? await ctx.jobs.loadSource(state.id, sourceId) : undefined;
  if (!source) throw notFound(`source ${sourceId}`);
  const data = await ctx.ports.blobs.getBuffer(source.key).catch((error: unknown) => {
    if (error instanceof NotFoundError)
      throw new RequestError('NOT_READY', `source ${sourceId} is not uploaded yet`, 409);
    throw error;
  });
  return { data, fields };
};

const optionFields = {
  preset: { type: 'string', description: 'a named pipeline (GET /api/presets); default delta-classic' },
  pipeline: { description: 'a pipeline spec (JSON)', anyOf: [{ type: 'string' }, { type: 'object' }] },
  seed: { description: 'integer 0 to 4294967295', anyOf: [{ type: 'integer' }, { type: 'string' }] },
  count: {
    description: `variants to render, 1 to ${PREVIEW_MAX_VARIANTS}; default 4`,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
  size: {
    description: `longest side of the previews, 16 to ${PREVIEW_MAX_SIDE} px; default 512`,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
} as const;

/**
 * `POST /api/preview`: a few variants of one image, rendered now and returned inline (base64), with the
 * operations each drew; nothing is stored. The variants are those a job with the same pipeline and seed would
 * make of the same file (indices 0..count-1), on a copy shrunk to `size`.
 */
export const previewRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.post(
    '/api/preview',
    {
      config: {
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: {
            ...schema,
            body: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['jobId', 'sourceId'],
                    properties: { jobId: { type: 'string' }, sourceId: { type: 'string' }, ...optionFields },
                  },
                },
                'multipart/form-data': {
                  schema: {
                    type: 'object',
                    properties: { file: { type: 'string', format: 'binary' }, ...optionFields },
                  },
                },
              },
            },
          },
        }),
      },
      schema: {
        summary: `Preview up to ${PREVIEW_MAX_VARIANTS} variants of one image (at most ${PREVIEW_MAX_SIDE} px); nothing is stored`,
        tags: ['pipelines'],
        consumes: ['multipart/form-data', 'application/json'],
        response: {
          200: {
            type: 'object',
            properties: {
              pipeline: { type: 'object', properties: { name: { type: 'string' }, seed: { type: 'integer' } } },
              source: {
                type: 'object',
                properties: { width: { type: 'integer' }, height: { type: 'integer' }, format: { type: 'string' } },
              },
              variants: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    width: { type: 'integer' },
                    height: { type: 'integer' },
                    contentType: { type: 'string' },
                    image: { type: 'string', description: 'the variant as a data: URL (base64)' },
                    operations: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { op: { type: 'string' }, params: { type: 'object', additionalProperties: true } },
                      },
                    },
                  },
                },
              },
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const { data, fields } = await inputOf(ctx, request);
      const count = boundedInt(fields.count, 'count', 4, 1, PREVIEW_MAX_VARIANTS, 'the preview limit');
      const size = boundedInt(fields.size, 'size', 512, 16, PREVIEW_MAX_SIDE, 'the preview limit');
      const choice = parsePipeline(fields.preset, fields.pipeline, parseSeed(fields.seed));
      const pipeline = resolvePipeline(choice);
      const preview = await renderPreview(data, pipeline, {
        count,
        maxSide: size,
        limits: { maxPixels: ctx.config.maxPixels, maxInputBytes: ctx.config.maxFileBytes },
      }).catch((error: unknown) => {
        if (error instanceof PermanentError) throw new RequestError('INVALID_IMAGE', error.message, 422, 'file');
        throw error;
      });
      return {
        pipeline: { name: pipeline.name, seed: pipeline.seed },
        source: preview.source,
        variants: preview.variants.map((v) => ({
          index: v.index,
          width: v.width,
          height: v.height,
          contentType: v.contentType,
          image: `data:${v.contentType};base64,${v.data.toString('base64')}`,
          operations: v.operations,
        })),
      };
    },
  );
};

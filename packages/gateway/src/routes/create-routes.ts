import {
  awaitsDataset,
  DATASET_SOURCE_ID,
  type DatasetSpec,
  type DatasetUpload,
  type JobState,
  type SourceRef,
  type SourceState,
  sanitizeLabel,
  sanitizeName,
} from '@delta-augment/core';
import {
  checkImage,
  checkOutputBudget,
  datasetFormat,
  parseDatasetFields,
  prepareDataset,
  readDatasetZip,
  sniffType,
  wantsDatasetJob,
} from '@delta-augment/datasets';
import type { Config } from '@delta-augment/ports';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { enforceQuota } from '../console/quota-guard.js';
import type { GatewayContext } from '../context.js';
import {
  createJobForSignedDataset,
  createJobForSignedUploads,
  createJobFromImages,
  type UploadedImage,
} from '../create-job.js';
import { badRequest, tooLarge } from '../errors.js';
import { type JobOptions, MAX_TAGS, parsePipeline, parseSeed, parseTags, parseVariants } from '../job-options.js';
import { loadView } from '../job-view.js';
import { fieldsOf } from '../json-body.js';
import { readForm } from '../multipart.js';
import { checkUploadsOpen, uploadDeadlineOf } from '../upload-deadline.js';
import { checkedWebhookUrl, registerWebhook } from '../webhooks/register.js';

const optionsFrom = (ctx: GatewayContext, fields: Record<string, unknown>): JobOptions => {
  const seed = parseSeed(fields.seed);
  return {
    variants: parseVariants(fields.variants, ctx.config),
    tags: parseTags(fields.tags),
    pipeline: parsePipeline(fields.preset, fields.pipeline, seed),
  };
};

const optionProperties = (config: Pick<Config, 'maxVariants'>) => ({
  webhookUrl: {
    description:
      'http(s) URL POSTed a signed JSON document when the job completes or fails (retried for 24 h); the answer carries its secret once',
    type: 'string',
    maxLength: 2048,
  },
  variants: {
    description: `variants per source, 1 to ${config.maxVariants} (MAX_VARIANTS); default 20`,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
  tags: {
    description: `up to ${MAX_TAGS} tags, comma-separated or a list; each 1-40 letters, digits, spaces, _ . -`,
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  },
  preset: { description: 'a named pipeline (GET /api/presets); default delta-classic', type: 'string' },
  pipeline: {
    description: 'a pipeline spec (JSON; schema at GET /api/presets)',
    anyOf: [{ type: 'string' }, { type: 'object' }],
  },
  seed: {
    description: 'integer 0 to 4294967295, for reproducible variants',
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  },
});

/** The JSON body of a signed-upload job (validated again, field by field, with named limits). */
export const signedRequestSchema = (config: Pick<Config, 'maxVariants' | 'maxFileBytes' | 'budgets'>) => ({
  type: 'object',
  description: 'either `files` (images) or `dataset` (one dataset zip, with the dataset fields of the multipart form)',
  additionalProperties: false,
  properties: {
    dataset: {
      type: 'object',
      description:
        'one dataset .zip the client will PUT to the returned URL; its images (class folders or coco/yolo/voc labels) become the sources once it is read',
      required: ['name', 'bytes'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        bytes: { type: 'integer', description: `1 to ${config.budgets.maxDatasetBytes} (MAX_DATASET_BYTES)` },
      },
    },
    ...datasetFieldProperties,
    files: {
      type: 'array',
      description: 'the files the client will PUT to the returned URLs',
      items: {
        type: 'object',
        required: ['name', 'bytes'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 255 },
          bytes: { type: 'integer', description: `1 to ${config.maxFileBytes} (MAX_FILE_BYTES)` },
          label: { type: 'string', maxLength: 120, description: 'class label (the folder in the zip)' },
        },
      },
    },
    ...optionProperties(config),
  },
});

/** The labelled-dataset fields, as the multipart form and the JSON dataset request take them. */
const datasetFieldProperties = {
  format: {
    description: 'dataset zip layout: auto (default), coco, yolo, voc or folders',
    type: 'string',
    enum: ['auto', 'coco', 'yolo', 'voc', 'folders'],
  },
  export: {
    description: "archive layout (default: the input's)",
    type: 'string',
    enum: ['coco', 'yolo', 'voc', 'folders'],
  },
  split: { description: 'train,valid,test percentages, e.g. 80,10,10 (seeded, stratified by class)', type: 'string' },
  onLabelError: {
    description: 'fail (default: a 422 naming file and line) or skip (listed in the manifest)',
    type: 'string',
  },
  minVisibility: {
    description: 'drop objects with less of their area left in an output (0 to 1, default 0.25)',
    anyOf: [{ type: 'number' }, { type: 'string' }],
  },
  augmentSplits: { description: 'train (default) or all: which splits get augmented', type: 'string' },
  includeOriginals: {
    description: 'true: each original goes beside its variants',
    anyOf: [{ type: 'boolean' }, { type: 'string' }],
  },
} as const;

/** The multipart form, for the OpenAPI document (multipart bodies are read and checked by `readForm`). */
export const uploadFormSchema = (config: Pick<Config, 'maxVariants'>) => ({
  description: 'file parts and option fields; read as a stream, checked part by part',
  type: 'object',
  properties: {
    file: {
      description: 'images (type sniffed from the bytes), or one dataset .zip whose folders are class labels',
      type: 'array',
      items: { type: 'string', format: 'binary' },
    },
    ...optionProperties(config),
    ...datasetFieldProperties,
    // Form fields are text.
    minVisibility: { description: datasetFieldProperties.minVisibility.description, type: 'string' },
    includeOriginals: { description: datasetFieldProperties.includeOriginals.description, type: 'string' },
  },
});

/** POST /api/jobs, multipart: images, or one dataset zip, checked from their bytes, stored, queued. */
export const createFromUpload = async (ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply) => {
  const { config } = ctx;
  const form = await readForm(request, {
    maxFileBytes: config.maxFileBytes,
    maxRequestBytes: config.maxRequestBytes,
    maxFiles: config.maxFilesPerJob,
  });
  const options = optionsFrom(ctx, form.fields);
  const webhookUrl = await checkedWebhookUrl(ctx, form.fields.webhookUrl);
  if (form.files.length === 0) throw badRequest('file', 'send at least one file part named "file"');
  const datasetFields = parseDatasetFields(form.fields);
  const images: UploadedImage[] = [];
  let dataset: DatasetSpec | undefined;
  for (const file of form.files) {
    if (sniffType(file.data) === 'zip') {
      if (form.files.length > 1) throw badRequest(file.field, 'a dataset zip must be the only file of its job');
      const zip = await readDatasetZip(file.data, file.field, {
        maxFiles: config.maxFilesPerJob,
        maxFileBytes: config.maxFileBytes,
        maxTotalBytes: config.maxRequestBytes,
        maxLabelBytes: config.budgets.maxLabelBytes,
      });
      const checked = new Map<string, UploadedImage>();
      for (const entry of zip.images) {
        const path = entry.label ? `${entry.label}/${entry.name}` : entry.name;
        const check = await checkImage(`${file.field}:${entry.path}`, path, entry.data, config.maxPixels);
        checked.set(entry.path, { name: entry.name, label: entry.label, data: entry.data, ...check });
      }
      const format = datasetFormat(datasetFields, { texts: zip.texts, images: checked });
      if (!wantsDatasetJob(datasetFields, format)) {
        images.push(...checked.values());
        continue;
      }
      const prepared = prepareDataset(zip, checked, datasetFields, format, options.pipeline.seed, file.field);
      dataset = prepared.spec;
      for (const [path, image] of checked) {
        const labelled = prepared.images.get(path);
        if (labelled === undefined) continue;
        images.push({
          ...image,
          label: format === 'folders' ? image.label : '',
          split: labelled.split,
          labels: labelled.labels,
        });
      }
    } else {
      const checked = await checkImage(file.field, file.name, file.data, config.maxPixels);
      images.push({ name: file.name, label: '', data: file.data, ...checked });
    }
  }
  if (dataset === undefined && datasetFields.format !== 'auto' && datasetFields.format !== 'folders') {
    throw badRequest('format', `format=${datasetFields.format} needs one dataset .zip`);
  }
  await enforceQuota(ctx, request.caller.owner, {
    variants: images.length * options.variants,
    bytes: images.reduce((sum, image) => sum + image.data.length, 0),
  });
  checkOutputBudget(
    options.pipeline,
    options.variants,
    images.map((image, i) => ({ width: image.width, height: image.height, format: image.format, field: `file[${i}]` })),
    config.budgets,
  );
  const state = await createJobFromImages(ctx, request.caller.owner, options, images, dataset);
  const webhook = await registerWebhook(ctx, state.id, webhookUrl);
  ctx.metrics.jobsCreated.inc();
  return reply
    .code(202)
    .header('location', `/api/jobs/${state.id}`)
    .send({ ...(await loadView(ctx.jobs, state)), webhook });
};

/**
 * One signed PUT URL per source, as `POST /api/jobs` (JSON) and `POST /api/jobs/:id/uploads` answer them.
 * A URL never outlives the job's upload deadline (UPLOAD_DEADLINE_SECONDS).
 */
const signUploads = (ctx: GatewayContext, state: JobState, sources: readonly SourceRef[]) => {
  const left = Math.floor((uploadDeadlineOf(state, ctx.config.budgets.uploadDeadlineSeconds) - ctx.clock.now()) / 1000);
  const seconds = Math.max(1, Math.min(ctx.signedUrlSeconds, left));
  return Promise.all(
    sources.map(async (source) => ({
      sourceId: source.sourceId,
      name: source.name,
      label: source.label,
      method: 'PUT',
      url: await ctx.ports.blobs.signedUrl(source.key, 'PUT', seconds),
      expiresInSeconds: seconds,
      ...(source.declaredBytes === undefined ? {} : { bytes: source.declaredBytes }),
    })),
  );
};

/** The item schema of the `uploads` lists. */
export const signedUploadSchema = {
  type: 'object',
  properties: {
    sourceId: { type: 'string' },
    name: { type: 'string' },
    label: { type: 'string' },
    method: { type: 'string' },
    url: { type: 'string' },
    expiresInSeconds: { type: 'integer', description: 'never past the upload deadline' },
    bytes: { type: 'integer', description: 'the declared size: the PUT must carry exactly these bytes' },
  },
} as const;

/** When the job's uploads close, as both upload answers state it. */
export const uploadDeadlineSchema = {
  type: 'string',
  format: 'date-time',
  description: 'sources not uploaded by then fail (UPLOAD_DEADLINE_SECONDS after creation); later PUTs get a 410',
} as const;

const deadlineOf = (ctx: GatewayContext, state: JobState) =>
  new Date(uploadDeadlineOf(state, ctx.config.budgets.uploadDeadlineSeconds)).toISOString();

/**
 * POST /api/jobs/:id/uploads: fresh signed PUT URLs for the sources still waiting for their object, so a
 * client that was interrupted (or whose URLs expired) resumes without creating a new job. Sources already
 * stored are listed in `uploaded`. Once the upload deadline has passed (or the job ended) it answers 410:
 * the deadline is fixed at creation, and re-issuing URLs does not move it.
 */
export const resignUploads = async (ctx: GatewayContext, state: JobState) => {
  checkUploadsOpen(state, ctx.config.budgets.uploadDeadlineSeconds, ctx.clock.now());
  const sources: SourceState[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.jobs.sources(state.id, { limit: 1000, cursor });
    sources.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  const stored = await Promise.all(sources.map(async (s) => (await ctx.ports.blobs.head(s.key)) !== undefined));
  const missing: SourceRef[] = sources.filter((s, i) => !stored[i] && s.status === 'pending');
  // A dataset zip not stored yet gets a fresh URL too.
  const zip = state.datasetUpload;
  if (zip && awaitsDataset(state) && !(await ctx.ports.blobs.head(zip.key)))
    missing.push({ sourceId: DATASET_SOURCE_ID, name: zip.name, label: '', key: zip.key, declaredBytes: zip.bytes });
  return {
    id: state.id,
    uploaded: sources.filter((_, i) => stored[i]).map((s) => s.sourceId),
    uploads: await signUploads(ctx, state, missing),
    uploadDeadline: deadlineOf(ctx, state),
  };
};

/**
 * POST /api/jobs, JSON with `dataset`: a job whose dataset zip (up to MAX_DATASET_BYTES) the client PUTs
 * straight to storage through a signed URL. The job has no sources until the zip is read (off the request,
 * by the worker that takes its upload message: `expandDataset`); a zip that breaks a rule fails the job.
 */
const createFromSignedDataset = async (
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
) => {
  const { config } = ctx;
  if (body.files !== undefined) throw badRequest('files', 'send either files or dataset, not both');
  const declared = fieldsOf(body.dataset);
  const bytes = Number(declared.bytes);
  if (typeof declared.name !== 'string' || !declared.name) throw badRequest('dataset.name', 'name is required');
  const name = sanitizeName(declared.name);
  if (!/\.zip$/i.test(name)) throw badRequest('dataset.name', `a dataset is a .zip; got ${JSON.stringify(name)}`);
  const limit = `bytes must be an integer from 1 to ${config.budgets.maxDatasetBytes} (MAX_DATASET_BYTES)`;
  if (Number.isInteger(bytes) && bytes > config.budgets.maxDatasetBytes) throw tooLarge('dataset.bytes', limit);
  if (!Number.isInteger(bytes) || bytes < 1) throw badRequest('dataset.bytes', limit);
  const fields = parseDatasetFields(body);
  const options = optionsFrom(ctx, body);
  const webhookUrl = await checkedWebhookUrl(ctx, body.webhookUrl);
  await enforceQuota(ctx, request.caller.owner, { variants: options.variants, bytes });
  const state = await createJobForSignedDataset(ctx, request.caller.owner, options, { name, bytes, fields });
  const webhook = await registerWebhook(ctx, state.id, webhookUrl);
  const upload = state.datasetUpload as DatasetUpload;
  const uploads = await signUploads(ctx, state, [
    { sourceId: DATASET_SOURCE_ID, name, label: '', key: upload.key, declaredBytes: bytes },
  ]);
  ctx.metrics.jobsCreated.inc();
  return reply
    .code(201)
    .header('location', `/api/jobs/${state.id}`)
    .send({ ...(await loadView(ctx.jobs, state)), webhook, uploads, uploadDeadline: deadlineOf(ctx, state) });
};

/** POST /api/jobs, JSON: a job whose files the client PUTs straight to storage through signed URLs. */
export const createFromSignedRequest = async (ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply) => {
  const body = fieldsOf(request.body);
  if (body.dataset !== undefined) return createFromSignedDataset(ctx, request, reply, body);
  const files = body.files;
  if (!Array.isArray(files) || files.length === 0)
    throw badRequest('files', 'files must list at least one { name, bytes } to upload');
  if (files.length > ctx.config.maxFilesPerJob)
    throw tooLarge('files', `more than ${ctx.config.maxFilesPerJob} files in one job (MAX_FILES_PER_JOB)`);
  const declared = files.map((f: unknown, i: number) => {
    const file = fieldsOf(f);
    const bytes = Number(file.bytes);
    if (typeof file.name !== 'string' || !file.name) throw badRequest(`files[${i}].name`, 'name is required');
    const limit = `bytes must be an integer from 1 to ${ctx.config.maxFileBytes} (MAX_FILE_BYTES)`;
    if (Number.isInteger(bytes) && bytes > ctx.config.maxFileBytes) throw tooLarge(`files[${i}].bytes`, limit);
    if (!Number.isInteger(bytes) || bytes < 1) throw badRequest(`files[${i}].bytes`, limit);
    return {
      name: sanitizeName(file.name),
      label: typeof file.label === 'string' ? sanitizeLabel(file.label) : '',
      bytes,
    };
  });
  const options = optionsFrom(ctx, body);
  const webhookUrl = await checkedWebhookUrl(ctx, body.webhookUrl);
  await enforceQuota(ctx, request.caller.owner, {
    variants: declared.length * options.variants,
    bytes: declared.reduce((sum, file) => sum + file.bytes, 0),
  });
  const { state, sources } = await createJobForSignedUploads(ctx, request.caller.owner, options, declared);
  const webhook = await registerWebhook(ctx, state.id, webhookUrl);
  const uploads = await signUploads(ctx, state, sources);
  ctx.metrics.jobsCreated.inc();
  return reply
    .code(201)
    .header('location', `/api/jobs/${state.id}`)
    .send({ ...(await loadView(ctx.jobs, state)), webhook, uploads, uploadDeadline: deadlineOf(ctx, state) });
};

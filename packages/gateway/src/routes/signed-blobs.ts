import { pipeline, Readable, Transform } from 'node:stream';
import { DATASET_SOURCE_ID, parseSourceKey } from '@delta-augment/core';
import { IMAGE_TYPES, sniffType } from '@delta-augment/datasets';
import { isSafeKey } from '@delta-augment/ports';
import { verifyBlobUrl } from '@delta-augment/ports/local';
import { type Static, Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { forbidden, notFound, RequestError, tooLarge, unsupported } from '../errors.js';
import { requestDeadlineSignal } from '../guards/index.js';
import type { GatewayApp } from '../typed-app.js';
import { checkUploadsOpen } from '../upload-deadline.js';

const IMAGE_CONTENT_TYPE = /^image\/[a-z0-9.+-]{1,40}$/i;

/** Bytes needed to tell every supported image type from its signature. */
const SNIFF_BYTES = 16;

/** The size a client declared for a signed upload (`files[].bytes`) and the name it goes by in errors. */
const declaredSize = (bytes: number, what: string) => `the ${bytes} bytes declared for ${what} (files[].bytes)`;

/**
 * Passes a body through while counting its bytes (failing once `max`, or the declared size, is passed, and
 * at the end when fewer than declared arrived) and checking, from its first bytes, that it is an image of a
 * supported type: the client's content type is not trusted.
 */
const checkedBody = (
  max: number,
  what: string,
  declared: number | undefined,
  zip: boolean,
  deadline: AbortSignal | undefined,
) => {
  let seen = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const sniff = (): Error | undefined => {
    if (!head) return undefined;
    const type = sniffType(head);
    head = undefined;
    if (zip)
      return type === 'zip'
        ? undefined
        : unsupported('body', `${what} is not a zip: its bytes say ${type ?? 'unknown'}`);
    if (type && IMAGE_TYPES.has(type)) return undefined;
    return unsupported(
      'body',
      `${what} is not a supported image (JPEG, PNG, WebP, TIFF, AVIF, GIF): its bytes say ${type ?? 'unknown'}`,
    );
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      // Answered 408 already (too slow): what still arrives is dropped, and the write fails at the end.
      if (deadline?.aborted) return callback();
      seen += chunk.length;
      if (seen > max)
        return callback(
          tooLarge('body', `the upload is over ${max} bytes (${zip ? 'MAX_DATASET_BYTES' : 'MAX_FILE_BYTES'})`),
        );
      if (declared !== undefined && seen > declared)
        return callback(tooLarge('body', `the upload is over ${declaredSize(declared, what)}`));
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= SNIFF_BYTES) {
          const error = sniff();
          if (error) return callback(error);
        }
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (deadline?.aborted) return callback(deadline.reason as Error);
      if (seen === 0) return callback(new RequestError('EMPTY_FILE', 'the upload is empty', 400, 'body'));
      const error = sniff();
      if (error) return callback(error);
      if (declared !== undefined && seen < declared) {
        return callback(
          new RequestError(
            'SIZE_MISMATCH',
            `the upload is ${seen} bytes, not ${declaredSize(declared, what)}`,
            400,
            'body',
          ),
        );
      }
      callback(null);
    },
  });
};

/**
 * A PUT of a job's dataset zip: the job must wait for exactly this zip, its uploads be open, and the body
 * carry the declared bytes (more is a 413, naming them). Returns the declared size.
 */
const checkDatasetPut = async (
  ctx: GatewayContext,
  jobId: string,
  key: string,
  declaredLength: number | undefined,
): Promise<number> => {
  const job = await ctx.jobs.load(jobId);
  const upload = job?.datasetUpload;
  if (!job || !upload || upload.key !== key) throw notFound(`job ${jobId}`);
  if (job.datasetExpanded) throw alreadyUploaded();
  checkUploadsOpen(job, ctx.config.budgets.uploadDeadlineSeconds, ctx.clock.now());
  if (declaredLength !== undefined && declaredLength !== upload.bytes) {
    const message = `the upload is ${declaredLength} bytes, not ${declaredSize(upload.bytes, upload.name).replace('files[].bytes', 'dataset.bytes')}`;
    throw declaredLength > upload.bytes
      ? tooLarge('body', message)
      : new RequestError('SIZE_MISMATCH', message, 400, 'body');
  }
  return upload.bytes;
};

const signedQuery = Type.Object({
  expires: Type.String({ pattern: '^[0-9]{1,12}$' }),
  signature: Type.String({ maxLength: 100 }),
  contentType: Type.Optional(Type.String({ maxLength: 100 })),
});

/** The object's key: the rest of the path after `/blobs/`. */
const keyParams = Type.Object({ '*': Type.String() });

interface SignedRequest {
  readonly params: Static<typeof keyParams>;
  readonly query: Static<typeof signedQuery>;
}

const alreadyUploaded = (why = 'this object was already uploaded') =>
  new RequestError('ALREADY_UPLOADED', `${why}; signed URLs are single-use`, 409);

const checkSignature = (ctx: GatewayContext, request: SignedRequest, method: 'GET' | 'PUT'): string => {
  const key = decodeURIComponent(request.params['*']);
  const { query } = request;
  if (!isSafeKey(key)) throw notFound('object');
  const verdict = verifyBlobUrl(
    ctx.config.signingSecret,
    {
      method,
      key,
      expires: Number(query.expires),
      signature: query.signature,
      contentType: query.contentType ?? '',
    },
    ctx.clock.now(),
  );
  if (verdict === 'expired') throw forbidden('this signed URL has expired');
  if (verdict === 'invalid') throw forbidden('this signed URL is not valid');
  return key;
};

/**
 * The local stand-in for S3's signed URLs: `PUT /blobs/<key>?expires&signature` stores the body
 * (once: a replayed URL is refused), `GET` reads it. No API key is needed; the signature is the credential.
 * A PUT of a source must belong to a job that still exists, stay within MAX_FILE_BYTES and be an image.
 */
export const signedBlobRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  /** Keys with a PUT in progress in this process: a second PUT of the same URL meanwhile is refused. */
  const inProgress = new Set<string>();

  app.put(
    '/blobs/*',
    // Paced: the upload's time budget grows with its bytes (MIN_UPLOAD_BYTES_PER_SECOND), so a 2 GB zip over a
    // normal link is not cut off at REQUEST_TIMEOUT_SECONDS.
    { config: { public: true, paced: true }, schema: { hide: true, params: keyParams, querystring: signedQuery } },
    async (request, reply) => {
      const key = checkSignature(ctx, request, 'PUT');
      const source = parseSourceKey(key);
      const zip = source?.sourceId === DATASET_SOURCE_ID;
      const max = zip ? ctx.config.budgets.maxDatasetBytes : ctx.config.maxFileBytes;
      const budget = zip ? 'MAX_DATASET_BYTES' : 'MAX_FILE_BYTES';
      const length = request.headers['content-length'];
      const declaredLength = length === undefined ? undefined : Number(length);
      if (declaredLength !== undefined && declaredLength > max)
        throw tooLarge('body', `the upload is ${declaredLength} bytes, over ${max} (${budget})`);
      let expected: number | undefined;
      if (source && zip) {
        expected = await checkDatasetPut(ctx, source.jobId, key, declaredLength);
      } else if (source) {
        const [job, state] = await Promise.all([
          ctx.jobs.load(source.jobId),
          ctx.jobs.loadSource(source.jobId, source.sourceId),
        ]);
        if (!job || !state) throw notFound(`job ${source.jobId}`);
        // An upload already recorded (the job may have ended since) is a replay; otherwise the uploads must be open.
        const settledUnseen = state.status === 'failed' || state.status === 'dead-lettered';
        if (state.bytes !== undefined || (state.status !== 'pending' && !settledUnseen)) throw alreadyUploaded();
        checkUploadsOpen(job, ctx.config.budgets.uploadDeadlineSeconds, ctx.clock.now());
        if (state.status !== 'pending') {
          throw new RequestError(
            'UPLOADS_CLOSED',
            `source ${source.sourceId} has ${state.status}: it takes no upload`,
            410,
          );
        }
        expected = state.declaredBytes;
        if (expected !== undefined && declaredLength !== undefined && declaredLength !== expected) {
          const message = `the upload is ${declaredLength} bytes, not ${declaredSize(expected, source.name)}`;
          throw declaredLength > expected
            ? tooLarge('body', message)
            : new RequestError('SIZE_MISMATCH', message, 400, 'body');
        }
      }
      // Claimed before the first await that follows, so two concurrent PUTs of one URL cannot both pass.
      if (inProgress.has(key)) throw alreadyUploaded('another upload to this URL is in progress');
      inProgress.add(key);
      try {
        if (await ctx.ports.blobs.head(key)) throw alreadyUploaded();
        const contentType = request.headers['content-type'] ?? '';
        // The body is checked while it streams; the first failure (size, type) is the one reported.
        // The catch-all content-type parser above hands the request stream on as the body.
        if (!(request.body instanceof Readable))
          throw new RequestError('EMPTY_FILE', 'the upload is empty', 400, 'body');
        let failure: Error | undefined;
        const checked = checkedBody(max, source?.name ?? 'the upload', expected, zip, requestDeadlineSignal(request));
        const body = pipeline(request.body, checked, (error) => {
          failure ??= error ?? undefined;
        });
        const head = await ctx.ports.blobs
          .put(key, body, {
            contentType: IMAGE_CONTENT_TYPE.test(contentType) ? contentType : 'application/octet-stream',
            metadata: source ? { job: source.jobId, source: source.sourceId } : {},
          })
          .catch((error: unknown) => {
            throw failure ?? error;
          });
        return reply.code(200).send({ key, bytes: head.size });
      } finally {
        inProgress.delete(key);
      }
    },
  );

  app.get(
    '/blobs/*',
    { config: { public: true }, schema: { hide: true, params: keyParams, querystring: signedQuery } },
    async (request, reply) => {
      const key = checkSignature(ctx, request, 'GET');
      const head = await ctx.ports.blobs.head(key);
      if (!head) throw notFound('object');
      return reply.header('content-type', head.contentType).send(await ctx.ports.blobs.get(key));
    },
  );
};

import { pipeline, Readable, Transform } from 'node:stream';
import { parseSourceKey } from '@delta-augment/core';
import { isSafeKey } from '@delta-augment/ports';
import { verifyBlobUrl } from '@delta-augment/ports/local';
import { type Static, Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { forbidden, notFound, RequestError, tooLarge, unsupported } from '../errors.js';
import { IMAGE_TYPES, sniffType } from '../sniff.js';
import type { GatewayApp } from '../typed-app.js';

const IMAGE_CONTENT_TYPE = /^image\/[a-z0-9.+-]{1,40}$/i;

/** Bytes needed to tell every supported image type from its signature. */
const SNIFF_BYTES = 16;

/**
 * Passes a body through while counting its bytes (failing once `max` is passed) and checking, from its
 * first bytes, that it is an image of a supported type: the client's content type is not trusted.
 */
const checkedBody = (max: number, what: string) => {
  let seen = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const sniff = (): Error | undefined => {
    if (!head) return undefined;
    const type = sniffType(head);
    head = undefined;
    if (type && IMAGE_TYPES.has(type)) return undefined;
    return unsupported(
      'body',
      `${what} is not a supported image (JPEG, PNG, WebP, TIFF, AVIF, GIF): its bytes say ${type ?? 'unknown'}`,
    );
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) return callback(tooLarge('body', `the upload is over ${max} bytes (MAX_FILE_BYTES)`));
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
      if (seen === 0) return callback(new RequestError('EMPTY_FILE', 'the upload is empty', 400, 'body'));
      callback(sniff() ?? null);
    },
  });
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

  app.put(
    '/blobs/*',
    { config: { public: true }, schema: { hide: true, params: keyParams, querystring: signedQuery } },
    async (request, reply) => {
      const key = checkSignature(ctx, request, 'PUT');
      const max = ctx.config.maxFileBytes;
      const declared = Number(request.headers['content-length']);
      if (declared > max) throw tooLarge('body', `the upload is ${declared} bytes, over ${max} (MAX_FILE_BYTES)`);
      const source = parseSourceKey(key);
      if (source) {
        if (!(await ctx.jobs.loadSource(source.jobId, source.sourceId))) throw notFound(`job ${source.jobId}`);
      }
      if (await ctx.ports.blobs.head(key))
        throw new RequestError('ALREADY_UPLOADED', 'this object was already uploaded; signed URLs are single-use', 409);
      const contentType = request.headers['content-type'] ?? '';
      // The body is checked while it streams; the first failure (size, type) is the one reported.
      // The catch-all content-type parser above hands the request stream on as the body.
      if (!(request.body instanceof Readable)) throw new RequestError('EMPTY_FILE', 'the upload is empty', 400, 'body');
      let failure: Error | undefined;
      const body = pipeline(request.body, checkedBody(max, source?.name ?? 'the upload'), (error) => {
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

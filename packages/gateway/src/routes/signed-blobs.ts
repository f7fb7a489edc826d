import { Transform } from 'node:stream';
import { isSafeKey, verifyBlobUrl } from '@delta-augment/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { forbidden, notFound, RequestError, tooLarge } from '../errors.js';

/** Counts bytes through a stream and fails once `max` is passed. */
const byteLimit = (max: number) => {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(tooLarge('body', `the upload is over ${max} bytes (MAX_FILE_BYTES)`));
      else callback(null, chunk);
    },
  });
};

const checkSignature = (ctx: GatewayContext, request: FastifyRequest, method: 'GET' | 'PUT'): string => {
  const key = decodeURIComponent((request.params as { '*': string })['*']);
  const query = request.query as { expires?: string; signature?: string; contentType?: string };
  if (!isSafeKey(key)) throw notFound('object');
  const verdict = verifyBlobUrl(
    ctx.config.signingSecret,
    {
      method,
      key,
      expires: Number(query.expires),
      signature: String(query.signature ?? ''),
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
 */
export const signedBlobRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put('/blobs/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const key = checkSignature(ctx, request, 'PUT');
    if (await ctx.ports.blobs.head(key))
      throw new RequestError('ALREADY_UPLOADED', 'this object was already uploaded; signed URLs are single-use', 409);
    const body = request.body as NodeJS.ReadableStream;
    const limited = (body as import('node:stream').Readable).pipe(byteLimit(ctx.config.maxFileBytes));
    const head = await ctx.ports.blobs.put(key, limited, {
      contentType: request.headers['content-type'] ?? 'application/octet-stream',
    });
    return reply.code(200).send({ key, bytes: head.size });
  });

  app.get('/blobs/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const key = checkSignature(ctx, request, 'GET');
    const head = await ctx.ports.blobs.head(key);
    if (!head) throw notFound('object');
    return reply.header('content-type', head.contentType).send(await ctx.ports.blobs.get(key));
  });
};

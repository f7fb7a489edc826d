import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type Clock, DeltaError, NotFoundError, systemClock } from '@delta-augment/core';
import { awsCall, errorName, toSharedError } from '../aws-errors.js';
import { type BlobHead, type BlobStore, type ByteRange, isSafeKey, type PutOptions } from './port.js';

export interface S3BlobStoreOptions {
  /** Keys under `sourcesPrefix` live in `source` (whose ObjectCreated events feed the upload queue), all others in `result`. */
  readonly buckets: { readonly source: string; readonly result: string };
  /** Default `sources/`. */
  readonly sourcesPrefix?: string;
  /** Streams are uploaded in parts of this size (S3 minimum 5 MiB); default 8 MiB. */
  readonly partSize?: number;
  /** Signing time of presigned URLs. */
  readonly clock?: Clock;
}

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey']);

/**
 * S3 blob store. Source uploads go to the source bucket, whose own event notification sends the
 * ObjectCreated message to SQS: the adapter sends nothing itself. Metadata keys come back
 * lower-cased (S3 stores them as case-insensitive `x-amz-meta-*` headers) and must be ASCII.
 */
export class S3BlobStore implements BlobStore {
  private readonly sourcesPrefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3BlobStoreOptions,
  ) {
    this.sourcesPrefix = options.sourcesPrefix ?? 'sources/';
    this.clock = options.clock ?? systemClock;
  }

  private bucketOf(key: string): string {
    if (!isSafeKey(key)) throw new DeltaError('INVALID_KEY', `object key is not allowed: ${JSON.stringify(key)}`);
    return this.bucketFor(key);
  }

  private bucketFor(key: string): string {
    return key.startsWith(this.sourcesPrefix) ? this.options.buckets.source : this.options.buckets.result;
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<BlobHead> {
    const Bucket = this.bucketOf(key);
    const params = {
      Bucket,
      Key: key,
      ContentType: options.contentType ?? 'application/octet-stream',
      Metadata: { ...options.metadata },
    };
    await awsCall(`s3 put ${key}`, async () => {
      if (Buffer.isBuffer(body)) {
        await this.s3.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }));
      } else {
        await new Upload({
          client: this.s3,
          params: { ...params, Body: body },
          partSize: this.options.partSize,
        }).done();
      }
    });
    const head = await this.head(key);
    if (!head) throw new DeltaError('BLOB_MISSING', `blob store: ${key} was not found right after its write`);
    return head;
  }

  /** S3 objects are durable when their put returns. */
  async sync(_keys: readonly string[]): Promise<void> {}

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Bucket = this.bucketOf(key);
    if (range && range.end <= range.start) return Readable.from([]);
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
        }),
      );
      if (out.Body instanceof Readable) return out.Body;
      // Outside Node's HTTP handler the body is a web stream or blob: read it whole.
      return Readable.from(out.Body ? [Buffer.from(await out.Body.transformToByteArray())] : []);
    } catch (error) {
      if (NOT_FOUND.has(errorName(error) ?? '')) throw new NotFoundError(`object ${key}`, { cause: error });
      throw toSharedError(error, `s3 get ${key}`);
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const stream = await this.get(key);
    try {
      for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    } catch (error) {
      throw toSharedError(error, `s3 get ${key}`);
    }
    return Buffer.concat(chunks);
  }

  async head(key: string): Promise<BlobHead | undefined> {
    const Bucket = this.bucketOf(key);
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        metadata: { ...out.Metadata },
        lastModified: (out.LastModified ?? new Date(0)).toISOString(),
      };
    } catch (error) {
      if (NOT_FOUND.has(errorName(error) ?? '')) return undefined;
      throw toSharedError(error, `s3 head ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const Bucket = this.bucketOf(key);
    await awsCall(`s3 delete ${key}`, () => this.s3.send(new DeleteObjectCommand({ Bucket, Key: key })));
  }

  /** S3 writes are atomic (no partial objects), so removing the listed keys removes everything. */
  async deletePrefix(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new DeltaError('INVALID_KEY', `a prefix to delete must end with /: ${prefix}`);
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(keys.slice(i, i + 32).map((key) => this.delete(key)));
    }
  }

  /** Lists the bucket(s) the prefix can reach (both when it is shorter than the sources prefix), every page, sorted. */
  async list(prefix: string): Promise<string[]> {
    const { source, result } = this.options.buckets;
    const buckets = prefix.startsWith(this.sourcesPrefix)
      ? [source]
      : this.sourcesPrefix.startsWith(prefix)
        ? [...new Set([source, result])]
        : [result];
    const keys: string[] = [];
    for (const Bucket of buckets) {
      let ContinuationToken: string | undefined;
      do {
        const page = await awsCall(`s3 list ${prefix}`, () =>
          this.s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken })),
        );
        for (const object of page.Contents ?? []) {
          // A key from the other bucket's half (a stray object) is not part of this store's namespace.
          if (object.Key && this.bucketFor(object.Key) === Bucket) keys.push(object.Key);
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    }
    return keys.sort();
  }

  /** A SigV4 presigned URL; a PUT URL signs the content type, so the uploader must send the same `Content-Type`. */
  async signedUrl(key: string, method: 'GET' | 'PUT', expiresInSeconds: number, contentType?: string): Promise<string> {
    const Bucket = this.bucketOf(key);
    const command =
      method === 'GET'
        ? new GetObjectCommand({ Bucket, Key: key })
        : new PutObjectCommand({ Bucket, Key: key, ContentType: contentType });
    return awsCall(`s3 sign ${key}`, () =>
      getSignedUrl(this.s3, command, { expiresIn: expiresInSeconds, signingDate: new Date(this.clock.now()) }),
    );
  }

  /** True when both buckets answer HeadBucket. */
  async ping(): Promise<boolean> {
    const { source, result } = this.options.buckets;
    await awsCall('s3 ping', () =>
      Promise.all([...new Set([source, result])].map((Bucket) => this.s3.send(new HeadBucketCommand({ Bucket })))),
    );
    return true;
  }
}

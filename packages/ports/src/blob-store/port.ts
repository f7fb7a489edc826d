import type { Readable } from 'node:stream';

export interface BlobHead {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly lastModified: string;
}

/** Bytes `start` (inclusive) to `end` (exclusive) of an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The object is readable at once but durable only after a later {@link BlobStore.sync} of its key, so
   * that a batch of writes is made durable together (the local store's fsyncs run at once). Ignored for
   * keys that notify (sources/): their message is sent only for a durable object. S3: always durable.
   */
  readonly deferSync?: boolean;
}

/**
 * Object storage (S3 or the filesystem). Writing under the notifying prefix (sources/) produces
 * an S3 ObjectCreated notification on the upload queue once the object is durable.
 */
export interface BlobStore {
  put(key: string, body: Buffer | Readable, options?: PutOptions): Promise<BlobHead>;
  /** Makes the objects written with `deferSync` durable (a no-op where every put already is). */
  sync(keys: readonly string[]): Promise<void>;
  /**
   * Throws `NotFoundError` for a missing key. With `range`, only bytes `start` to `end` (exclusive) are read
   * (S3: a ranged GetObject), so a large object (a 2 GB dataset zip) is read piecewise, never whole.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  getBuffer(key: string): Promise<Buffer>;
  /** Undefined for a missing key. */
  head(key: string): Promise<BlobHead | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Removes every object under `prefix` (a folder: it ends with `/`), and with them whatever an interrupted
   * write left there (the local adapter's temp files and metadata sidecars), so a deleted job leaves nothing.
   */
  deletePrefix(prefix: string): Promise<void>;
  /** Every key under the prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** A time-limited URL to GET or PUT one object without other credentials. */
  signedUrl(key: string, method: 'GET' | 'PUT', expiresInSeconds: number, contentType?: string): Promise<string>;
  ping(): Promise<boolean>;
}

/** Object keys are `/`-separated segments of safe characters; nothing else reaches a filesystem. */
export const isSafeKey = (key: string): boolean =>
  key.length > 0 &&
  key.length <= 1024 &&
  !key.startsWith('/') &&
  key
    .split('/')
    .every((segment) => segment.length > 0 && segment !== '.' && segment !== '..' && !segment.includes('\0'));

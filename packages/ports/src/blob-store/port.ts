import type { Readable } from 'node:stream';

export interface BlobHead {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly lastModified: string;
}

export interface PutOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Object storage (S3 or the filesystem). Writing under the notifying prefix (sources/) produces
 * an S3 ObjectCreated notification on the upload queue once the object is durable.
 */
export interface BlobStore {
  put(key: string, body: Buffer | Readable, options?: PutOptions): Promise<BlobHead>;
  /** Throws `NotFoundError` for a missing key. */
  get(key: string): Promise<Readable>;
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

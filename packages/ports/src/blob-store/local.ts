import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  fsync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type Clock,
  DeltaError,
  NotFoundError,
  objectCreatedEvent,
  systemClock,
  TransientError,
} from '@delta-augment/core';
import type { WorkQueue } from '../work-queue/port.js';
import { type BlobHead, type BlobStore, isSafeKey, type PutOptions } from './port.js';

export interface LocalBlobStoreOptions {
  readonly root: string;
  /** Bucket name used in notifications. */
  readonly bucket?: string;
  /** Base URL of the gateway's signed blob route, e.g. http://127.0.0.1:8080/blobs (a function when known only after listen). */
  readonly signedUrlBase?: string | (() => string);
  /** HMAC secret for signed URLs. */
  readonly signingSecret?: string;
  /** Keys under `prefix` send an S3 ObjectCreated event to `queue` after the write is durable. */
  readonly notify?: { readonly prefix: string; readonly queue: string; readonly workQueue: WorkQueue };
  readonly clock?: Clock;
}

interface Sidecar {
  contentType: string;
  metadata: Record<string, string>;
}

/** fsync on the thread pool (`fsync` is read at each call, so a test can count the calls). */
const fsyncAsync = (fd: number): Promise<void> =>
  new Promise((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));

const transient = (what: string, error: unknown): never => {
  if (error instanceof DeltaError) throw error;
  throw new TransientError(`blob store: ${what} failed: ${(error as Error).message}`, { cause: error });
};

/** Filesystem blob store: atomic writes (temp file, fsync, rename) and a JSON sidecar for metadata. */
export class LocalBlobStore implements BlobStore {
  private readonly objects: string;
  private readonly sidecars: string;
  private readonly clock: Clock;
  /** Folders this process has created or found. */
  readonly #dirs = new Set<string>();

  constructor(private readonly options: LocalBlobStoreOptions) {
    this.objects = join(options.root, 'objects');
    this.sidecars = join(options.root, 'meta');
    this.clock = options.clock ?? systemClock;
  }

  private pathOf(key: string): string {
    if (!isSafeKey(key)) throw new DeltaError('INVALID_KEY', `object key is not allowed: ${JSON.stringify(key)}`);
    return join(this.objects, ...key.split('/'));
  }

  private sidecarOf(key: string): string {
    return `${join(this.sidecars, ...key.split('/'))}.json`;
  }

  /** Creates a folder once per process (it is remembered; {@link #writeObject} forgets them on ENOENT). */
  #ensureDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /**
   * Writes the sidecar and the object's temp file, makes the file durable and renames it into place.
   * The writes go to the page cache, which takes microseconds for an image, so they are synchronous (a
   * thread-pool round trip per call cost more CPU than the copy); only the fsync, which waits for the
   * disk, runs on the thread pool. A stream body is copied chunk by chunk as it arrives.
   */
  async #writeObject(
    path: string,
    tmp: string,
    sidecarPath: string,
    sidecar: Sidecar,
    body: Buffer | Readable,
    durable: boolean,
  ) {
    this.#ensureDir(dirname(path));
    this.#ensureDir(dirname(sidecarPath));
    writeFileSync(sidecarPath, JSON.stringify(sidecar));
    const fd = openSync(tmp, 'w');
    try {
      if (Buffer.isBuffer(body)) writeFileSync(fd, body);
      else for await (const chunk of body) writeFileSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (durable) await fsyncAsync(fd);
      const info = fstatSync(fd);
      renameSync(tmp, path);
      return { size: info.size, mtime: info.mtime };
    } finally {
      closeSync(fd);
    }
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<BlobHead> {
    const path = this.pathOf(key);
    const tmp = `${path}.${randomUUID()}.tmp`;
    const sidecar: Sidecar = {
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: { ...options.metadata },
    };
    const notify = this.options.notify;
    const notifies = notify !== undefined && key.startsWith(notify.prefix);
    const durable = options.deferSync !== true || notifies;
    let written: { size: number; mtime: Date };
    try {
      try {
        written = await this.#writeObject(path, tmp, this.sidecarOf(key), sidecar, body, durable);
      } catch (error) {
        // A remembered folder removed meanwhile: create the folders again (a stream body cannot be replayed).
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !Buffer.isBuffer(body)) throw error;
        this.#dirs.clear();
        written = await this.#writeObject(path, tmp, this.sidecarOf(key), sidecar, body, durable);
      }
    } catch (error) {
      rmSync(tmp, { force: true });
      return transient(`put ${key}`, error);
    }
    const head: BlobHead = {
      key,
      size: written.size,
      contentType: sidecar.contentType,
      metadata: sidecar.metadata,
      lastModified: written.mtime.toISOString(),
    };
    if (notify && notifies) {
      try {
        await notify.workQueue.send(
          notify.queue,
          JSON.stringify(objectCreatedEvent(this.options.bucket ?? 'local', key, head.size, this.clock.now())),
        );
      } catch (error) {
        // S3 notifies every durable write. An object stored without its message would never be processed
        // (and a single-use signed PUT could not be repeated), so the write is undone and the caller retries both.
        await rm(path, { force: true }).catch(() => undefined);
        await rm(this.sidecarOf(key), { force: true }).catch(() => undefined);
        transient(`notify for ${key}`, error);
      }
    }
    return head;
  }

  /**
   * fsyncs the objects (all at once: the file system commits them together, at about half the CPU of one
   * fsync each) and then, once each, the folders they were renamed into, so that their names are durable too.
   */
  async sync(keys: readonly string[]): Promise<void> {
    const syncPath = async (path: string, what: string) => {
      try {
        const fd = openSync(path, 'r');
        try {
          await fsyncAsync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        transient(`sync ${what}`, error);
      }
    };
    await Promise.all(keys.map((key) => syncPath(this.pathOf(key), key)));
    const folders = new Set(keys.map((key) => key.slice(0, Math.max(0, key.lastIndexOf('/')))));
    await Promise.all([...folders].map((folder) => syncPath(join(this.objects, ...folder.split('/')), `${folder}/`)));
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${key}`);
      transient(`get ${key}`, error);
    }
    return createReadStream(path);
  }

  async getBuffer(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${key}`);
      return transient(`get ${key}`, error);
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      const sidecar = await readFile(this.sidecarOf(key), 'utf8')
        .then((text) => JSON.parse(text) as Sidecar)
        .catch((): Sidecar => ({ contentType: 'application/octet-stream', metadata: {} }));
      return {
        key,
        size: info.size,
        contentType: sidecar.contentType,
        metadata: sidecar.metadata,
        lastModified: info.mtime.toISOString(),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return transient(`head ${key}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
    await rm(this.sidecarOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = base ? join(this.objects, ...base.split('/')) : this.objects;
    const files = await readdir(start, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    return files
      .filter((f) => f.isFile() && !f.name.endsWith('.tmp'))
      .map((f) => relative(this.objects, join(f.parentPath, f.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async signedUrl(key: string, method: 'GET' | 'PUT', expiresInSeconds: number, contentType?: string): Promise<string> {
    const { signingSecret } = this.options;
    const base = this.options.signedUrlBase;
    const signedUrlBase = typeof base === 'function' ? base() : base;
    if (!signedUrlBase || !signingSecret)
      throw new DeltaError('NOT_CONFIGURED', 'signed URLs need signedUrlBase and signingSecret');
    const expires = Math.floor(this.clock.now() / 1000) + expiresInSeconds;
    const signature = signBlobUrl(signingSecret, method, key, expires, contentType ?? '');
    const query = new URLSearchParams({ expires: String(expires), signature });
    if (contentType) query.set('contentType', contentType);
    return `${signedUrlBase}/${key.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  async ping(): Promise<boolean> {
    await mkdir(this.objects, { recursive: true });
    return true;
  }
}

export const signBlobUrl = (
  secret: string,
  method: string,
  key: string,
  expires: number,
  contentType: string,
): string => createHmac('sha256', secret).update(`${method}\n${key}\n${expires}\n${contentType}`).digest('base64url');

/** Checks a local signed URL's signature and expiry. */
export const verifyBlobUrl = (
  secret: string,
  request: { method: string; key: string; expires: number; signature: string; contentType: string },
  nowMs: number,
): 'ok' | 'expired' | 'invalid' => {
  const expected = Buffer.from(signBlobUrl(secret, request.method, request.key, request.expires, request.contentType));
  const given = Buffer.from(request.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  return request.expires * 1000 < nowMs ? 'expired' : 'ok';
};

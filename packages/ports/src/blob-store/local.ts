import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  fsync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  type Clock,
  DeltaError,
  NotFoundError,
  objectCreatedEvent,
  systemClock,
  TransientError,
} from '@delta-augment/core';
import type { WorkQueue } from '../work-queue/port.js';
import { type BlobHead, type BlobStore, type ByteRange, isSafeKey, type PutOptions } from './port.js';

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
  /** Below this many free bytes on the data directory's file system, `ping` reports not ready (MIN_FREE_DISK_BYTES). */
  readonly minFreeBytes?: number;
}

/** What a housekeeping pass removed. */
export interface StraySweep {
  /** Temp files of writes that never finished (a crash, or a full disk). */
  readonly tempFiles: number;
  /** Metadata sidecars whose object does not exist. */
  readonly sidecars: number;
}

/** A job's folder under one of the key roots (`sources`, `results`), with its last change. */
export interface JobFolder {
  readonly prefix: string;
  readonly jobId: string;
  readonly modifiedMs: number;
}

const JOB_ROOTS = ['sources', 'results'] as const;

/**
 * Objects up to this size are read synchronously: from the page cache that takes microseconds (a variant of
 * ~100 KB: ~40 us), where the promise-based read costs ~0.3 ms of CPU in four thread-pool round trips (open,
 * stat, read, close). Larger ones (an upload of up to MAX_FILE_BYTES) stay off the event loop.
 */
const SYNC_READ_BYTES = 1024 * 1024;

/** `<path>.<uuid>.tmp`: a write in progress, or one that never finished. */
const TEMP_FILE = /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

interface Sidecar {
  contentType: string;
  metadata: Record<string, string>;
}

/** A filesystem error's message without the paths it quotes: they name the server's folders, not the key. */
const withoutPaths = (message: string): string => message.replace(/ '[^']*'/g, '').replace(/ -> $/, '');

/** fsync on the thread pool (`fsync` is read at each call, so a test can count the calls). */
const fsyncAsync = (fd: number): Promise<void> =>
  new Promise((done, fail) => fsync(fd, (error) => (error ? fail(error) : done())));

const transient = (what: string, error: unknown): never => {
  if (error instanceof DeltaError) throw error;
  throw new TransientError(`blob store: ${what} failed: ${withoutPaths((error as Error).message)}`, { cause: error });
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

  /** Creates a folder once per process (remembered; forgotten when a write finds it gone). */
  #ensureDir(dir: string): void {
    if (this.#dirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /** Creates the folders, writes the sidecar's temp file and opens the object's; again once if a remembered folder is gone. */
  #prepare(path: string, tmp: string, sidecarPath: string, sidecarTmp: string, sidecar: Sidecar): number {
    for (let attempt = 1; ; attempt++) {
      try {
        this.#ensureDir(dirname(path));
        this.#ensureDir(dirname(sidecarPath));
        writeFileSync(sidecarTmp, JSON.stringify(sidecar));
        return openSync(tmp, 'w');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 1) throw error;
        this.#dirs.clear();
      }
    }
  }

  /**
   * Both files are written under temp names and renamed into place once the object is durable (with
   * `deferSync`: at once, durable at {@link sync}), so a failed or interrupted write leaves temp files (removed
   * here, or by `sweepStrays` after a crash), never a sidecar that describes an object that is not there.
   * The writes go to the page cache, which takes microseconds for an image, so they are synchronous (a
   * thread-pool round trip per call cost more CPU than the copy); only the fsync, which waits for the disk,
   * runs on the thread pool. A stream body is copied chunk by chunk as it arrives.
   */
  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<BlobHead> {
    const path = this.pathOf(key);
    const sidecarPath = this.sidecarOf(key);
    const id = randomUUID();
    const tmp = `${path}.${id}.tmp`;
    const sidecarTmp = `${sidecarPath}.${id}.tmp`;
    const sidecar: Sidecar = {
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: { ...options.metadata },
    };
    const notify = this.options.notify;
    const notifies = notify !== undefined && key.startsWith(notify.prefix);
    const durable = options.deferSync !== true || notifies;
    let written: { size: number; mtime: Date };
    try {
      const fd = this.#prepare(path, tmp, sidecarPath, sidecarTmp, sidecar);
      try {
        if (Buffer.isBuffer(body)) writeFileSync(fd, body);
        else for await (const chunk of body) writeFileSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (durable) await fsyncAsync(fd);
        const info = fstatSync(fd);
        written = { size: info.size, mtime: info.mtime };
      } finally {
        closeSync(fd);
      }
      renameSync(sidecarTmp, sidecarPath);
      renameSync(tmp, path);
    } catch (error) {
      // The clean-up may fail for the same reason (a name too long): the write's own error is the one reported.
      try {
        rmSync(tmp, { force: true });
        rmSync(sidecarTmp, { force: true });
        if (!existsSync(path)) rmSync(sidecarPath, { force: true });
      } catch {}
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

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${key}`);
      transient(`get ${key}`, error);
    }
    if (range && range.end <= range.start) return Readable.from([]);
    return createReadStream(path, range ? { start: range.start, end: range.end - 1 } : {});
  }

  async getBuffer(key: string): Promise<Buffer> {
    const path = this.pathOf(key);
    try {
      return statSync(path).size <= SYNC_READ_BYTES ? readFileSync(path) : await readFile(path);
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

  async deletePrefix(prefix: string): Promise<void> {
    const folder = prefix.slice(0, -1);
    if (!prefix.endsWith('/') || !isSafeKey(folder)) {
      throw new DeltaError(
        'INVALID_KEY',
        `a prefix to delete must be a folder ending with /: ${JSON.stringify(prefix)}`,
      );
    }
    // A worker may still be writing into the folder (it stops once it sees the job gone): a file created
    // between the listing and the rmdir makes that ENOTEMPTY, so Node retries the removal.
    const retried = { recursive: true, force: true, maxRetries: 10, retryDelay: 20 } as const;
    await rm(join(this.objects, ...folder.split('/')), retried);
    await rm(join(this.sidecars, ...folder.split('/')), retried);
  }

  /**
   * Removes what interrupted writes left behind, older than `olderThanMs` (younger ones may belong to a write
   * in progress): temp files, and sidecars whose object does not exist.
   */
  async sweepStrays(olderThanMs: number): Promise<StraySweep> {
    const cutoff = this.clock.now() - olderThanMs;
    const old = async (path: string) => (await stat(path).catch(() => undefined))?.mtimeMs ?? Infinity;
    let tempFiles = 0;
    let sidecars = 0;
    for (const [root, isSidecarRoot] of [
      [this.objects, false],
      [this.sidecars, true],
    ] as const) {
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      });
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        if ((await old(path)) > cutoff) continue;
        if (TEMP_FILE.test(entry.name)) {
          await rm(path, { force: true });
          tempFiles += 1;
        } else if (isSidecarRoot && entry.name.endsWith('.json')) {
          const object = join(this.objects, relative(this.sidecars, path).slice(0, -'.json'.length));
          if (await stat(object).then(() => false, isMissing)) {
            await rm(path, { force: true });
            sidecars += 1;
          }
        }
      }
    }
    return { tempFiles, sidecars };
  }

  /** Every job folder under the key roots, objects and sidecars alike (for the reconciler's orphan sweep). */
  async jobFolders(): Promise<JobFolder[]> {
    const folders: JobFolder[] = [];
    for (const base of [this.objects, this.sidecars]) {
      for (const root of JOB_ROOTS) {
        const entries = await readdir(join(base, root), { withFileTypes: true }).catch((error: unknown) => {
          if (isMissing(error)) return [];
          throw error;
        });
        for (const entry of entries) {
          if (!entry.isDirectory()) continue;
          const info = await stat(join(base, root, entry.name)).catch(() => undefined);
          if (!info) continue;
          folders.push({ prefix: `${root}/${entry.name}/`, jobId: entry.name, modifiedMs: info.mtimeMs });
        }
      }
    }
    return folders;
  }

  /** Free bytes on the file system that holds the blobs. */
  async freeBytes(): Promise<number> {
    await mkdir(this.objects, { recursive: true });
    const fs = await statfs(this.objects);
    return fs.bavail * fs.bsize;
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

  /** Ready when the blob directory exists and its file system has at least `minFreeBytes` free. */
  async ping(): Promise<boolean> {
    await mkdir(this.objects, { recursive: true });
    return (await this.freeBytes()) >= (this.options.minFreeBytes ?? 0);
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

import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { type DeltaApi, ok } from '../client.js';
import { ApiError } from '../errors.js';
import type { SignedUpload } from '../types.js';
import { forEachLimited } from './limit.js';
import type { InputFile } from './scan.js';
import { sendWithRetry } from './send.js';

/** The content type of an image file, from its extension. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
};

export interface UploadProgress {
  /** Bytes sent so far (falls back when an attempt is abandoned). */
  bytes: number;
  /** Files stored so far. */
  files: number;
}

export interface UploadSourcesOptions {
  readonly api: DeltaApi;
  readonly jobId: string;
  /** sourceId → the local file to send. */
  readonly files: ReadonlyMap<string, InputFile>;
  /** Signed URLs at hand (from job creation); missing or expired ones are asked for again. */
  readonly uploads?: readonly SignedUpload[];
  readonly concurrency: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly limitRate?: number;
  readonly signal?: AbortSignal;
  readonly onBytes?: (delta: number) => void;
  readonly onFile?: (sourceId: string, file: InputFile, skipped: boolean) => void;
}

/** Fresh URLs for the sources not stored yet, and the ids of those already stored. */
const resign = async (api: DeltaApi, jobId: string) => {
  const answer = await ok(api.POST('/api/jobs/{id}/uploads', { params: { path: { id: jobId } } }));
  return { uploaded: new Set(answer.uploaded ?? []), uploads: answer.uploads ?? [] };
};

/**
 * PUTs each file straight to storage through its signed URL, `concurrency` at a time, each streamed from
 * disk (never held in memory) and retried on network failures and 429/5xx with back-off. An object that is
 * already stored (409: an earlier run got it there) counts as done; an expired URL (403) is signed again.
 * Without `uploads`, asks the gateway which sources are still missing: that is how a run resumes.
 */
export const uploadSources = async (options: UploadSourcesOptions): Promise<{ sent: number; skipped: number }> => {
  const { api, jobId } = options;
  let urls = new Map((options.uploads ?? []).map((u) => [u.sourceId ?? '', u]));
  let pending = [...options.files.keys()];
  let skipped = 0;
  if (!options.uploads) {
    const fresh = await resign(api, jobId);
    urls = new Map(fresh.uploads.map((u) => [u.sourceId ?? '', u]));
    for (const id of pending.filter((id) => fresh.uploaded.has(id))) {
      options.onFile?.(id, options.files.get(id) as InputFile, true);
      skipped += 1;
    }
    pending = pending.filter((id) => !fresh.uploaded.has(id));
  }
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    refreshing ??= resign(api, jobId).then((fresh) => {
      for (const u of fresh.uploads) urls.set(u.sourceId ?? '', u);
      refreshing = undefined;
    });
    return refreshing;
  };
  let sent = 0;
  await forEachLimited(pending, options.concurrency, async (sourceId) => {
    const file = options.files.get(sourceId) as InputFile;
    for (let signing = 0; ; signing += 1) {
      options.signal?.throwIfAborted();
      const upload = urls.get(sourceId);
      if (!upload?.url) {
        if (signing > 0) return; // stored meanwhile: the gateway no longer lists it as missing
        await refresh();
        continue;
      }
      const result = await sendWithRetry(
        {
          method: 'PUT',
          url: upload.url,
          headers: { 'content-type': CONTENT_TYPES[extname(file.name).toLowerCase()] ?? 'application/octet-stream' },
          body: () => createReadStream(file.path),
          bytes: file.bytes,
          onBytes: options.onBytes,
          signal: options.signal,
          limitRate: options.limitRate,
        },
        { attempts: options.attempts, backoffMs: options.backoffMs, signal: options.signal },
      );
      if (result.status < 300 || result.status === 409) {
        if (result.status === 409) options.onBytes?.(file.bytes);
        sent += 1;
        options.onFile?.(sourceId, file, false);
        return;
      }
      if (result.status === 403 && signing < 2) {
        urls.delete(sourceId);
        await refresh();
        continue;
      }
      let body: { error?: { code?: string; message?: string; field?: string } } = {};
      try {
        body = JSON.parse(result.body);
      } catch {}
      throw new ApiError(
        result.status,
        body.error?.code ?? `HTTP_${result.status}`,
        `${file.relative}: ${body.error?.message ?? result.body.slice(0, 200)}`,
        body.error?.field,
      );
    }
  });
  return { sent, skipped };
};

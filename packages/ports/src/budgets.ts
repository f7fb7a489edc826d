import { ConfigError } from '@delta-augment/core';
import { type Env, int, list } from './env.js';

/**
 * What one request, job, variant, connection or process may cost, so that no input can take the
 * machine: every budget is named in the error that enforces it, and checked before the work where it can be.
 */
export interface Budgets {
  /** Output pixels of one variant (MAX_OUTPUT_PIXELS). */
  readonly maxOutputPixels: number;
  /** Output pixels of a whole job, all variants of all sources (MAX_JOB_OUTPUT_PIXELS). */
  readonly maxJobOutputPixels: number;
  /**
   * Bytes a job may write: variants plus archive (MAX_JOB_OUTPUT_BYTES). Default 4 x MAX_DATASET_BYTES (8 GiB),
   * at least 2 GiB: the largest dataset zip with two variants of each image at about its size, and their archive
   * (at 2 GiB a 2 GB zip's single variants ran out halfway, bench:dataset-upload --bytes 2g).
   */
  readonly maxJobOutputBytes: number;
  /**
   * Output pixels of one AVIF variant (MAX_AVIF_OUTPUT_PIXELS). libheif's AVIF encoder cannot be stopped once
   * it runs (libvips' timeout never reaches it), so what it may be given is bounded before: the default lets
   * a worst-case (noise) AVIF encode finish within MAX_VARIANT_SECONDS at 7.7 µs per pixel, the slowest
   * rate measured on the 2-core development machine.
   */
  readonly maxAvifOutputPixels: number;
  /** Seconds of rendering one variant may take before it is stopped and its source failed (MAX_VARIANT_SECONDS). */
  readonly maxVariantSeconds: number;
  /** Pixels a worker process decodes and holds at once, over all its invocations (WORKER_DECODE_PIXELS). */
  readonly workerDecodePixels: number;
  /** Multipart uploads the gateway reads at once (MAX_CONCURRENT_UPLOADS). */
  readonly maxConcurrentUploads: number;
  /** Multipart uploads one caller may have in progress at once (MAX_CONCURRENT_UPLOADS_PER_CALLER). */
  readonly maxConcurrentUploadsPerCaller: number;
  /** Seconds a client has to send a whole request, headers and body (REQUEST_TIMEOUT_SECONDS). */
  readonly requestTimeoutSeconds: number;
  /** Seconds a connection may stay silent (IDLE_TIMEOUT_SECONDS). */
  readonly idleTimeoutSeconds: number;
  /**
   * The slowest average rate a signed-URL PUT may arrive at (MIN_UPLOAD_BYTES_PER_SECOND): such an upload has
   * REQUEST_TIMEOUT_SECONDS plus one second per this many bytes received, so its budget fits its size.
   */
  readonly minUploadBytesPerSecond: number;
  /** Seconds after which a source whose upload never arrived is failed (UPLOAD_DEADLINE_SECONDS). */
  readonly uploadDeadlineSeconds: number;
  /** Bytes of a dataset zip uploaded through a signed URL (MAX_DATASET_BYTES, default 2 GiB); its images inflate to at most this much too. */
  readonly maxDatasetBytes: number;
  /** Bytes of label files in one dataset zip, held in memory as text while it is read (MAX_LABEL_BYTES). */
  readonly maxLabelBytes: number;
  /** WebSocket messages one connection may send per second, sustained (WS_MESSAGES_PER_SECOND; bursts of twice that). */
  readonly wsMessagesPerSecond: number;
  /** Host names, besides the listen address and loopback names, that open mode answers (ALLOWED_HOSTS). */
  readonly allowedHosts: readonly string[];
}

/** Worst-case AVIF encoding rate (noise, effort 2) measured on the 2-core development machine under load. */
const AVIF_PIXELS_PER_SECOND = 130_000;

/** Reads and validates the budgets; defaults fit the local machine and the default input limits. */
export const loadBudgets = (
  env: Env,
  limits: { readonly maxPixels: number; readonly handlerTimeoutSeconds: number },
): Budgets => {
  const maxOutputPixels = int(env, 'MAX_OUTPUT_PIXELS', Math.min(limits.maxPixels, 40_000_000), 1, 100_000_000);
  const maxJobOutputPixels = int(env, 'MAX_JOB_OUTPUT_PIXELS', 20_000_000_000, 1, 2 ** 50);
  if (maxJobOutputPixels < maxOutputPixels) {
    throw new ConfigError(
      `MAX_JOB_OUTPUT_PIXELS (${maxJobOutputPixels}) must be at least MAX_OUTPUT_PIXELS (${maxOutputPixels})`,
    );
  }
  const maxVariantSeconds = int(
    env,
    'MAX_VARIANT_SECONDS',
    Math.min(60, limits.handlerTimeoutSeconds),
    1,
    limits.handlerTimeoutSeconds,
  );
  const maxAvifOutputPixels = int(
    env,
    'MAX_AVIF_OUTPUT_PIXELS',
    Math.min(maxOutputPixels, maxVariantSeconds * AVIF_PIXELS_PER_SECOND),
    1,
    maxOutputPixels,
  );
  const workerDecodePixels = int(env, 'WORKER_DECODE_PIXELS', 2 * limits.maxPixels, 1, 2 ** 40);
  if (workerDecodePixels < limits.maxPixels) {
    throw new ConfigError(
      `WORKER_DECODE_PIXELS (${workerDecodePixels}) must be at least MAX_PIXELS (${limits.maxPixels}), or the largest accepted image could never be decoded`,
    );
  }
  const maxConcurrentUploads = int(env, 'MAX_CONCURRENT_UPLOADS', 4, 1, 10_000);
  const maxConcurrentUploadsPerCaller = int(
    env,
    'MAX_CONCURRENT_UPLOADS_PER_CALLER',
    Math.min(2, maxConcurrentUploads),
    1,
    maxConcurrentUploads,
  );
  const requestTimeoutSeconds = int(env, 'REQUEST_TIMEOUT_SECONDS', 120, 1, 3600);
  const maxDatasetBytes = int(env, 'MAX_DATASET_BYTES', 2 * 1024 ** 3, 1024, 2 ** 40);
  const idleTimeoutSeconds = int(env, 'IDLE_TIMEOUT_SECONDS', 30, 1, 3600);
  return {
    maxOutputPixels,
    maxJobOutputPixels,
    maxJobOutputBytes: int(env, 'MAX_JOB_OUTPUT_BYTES', Math.max(2 * 1024 ** 3, 4 * maxDatasetBytes), 1024, 2 ** 50),
    maxVariantSeconds,
    maxAvifOutputPixels,
    workerDecodePixels,
    maxConcurrentUploads,
    maxConcurrentUploadsPerCaller,
    requestTimeoutSeconds,
    idleTimeoutSeconds,
    minUploadBytesPerSecond: int(env, 'MIN_UPLOAD_BYTES_PER_SECOND', 1024 ** 2, 1024, 2 ** 40),
    uploadDeadlineSeconds: int(env, 'UPLOAD_DEADLINE_SECONDS', 3600, 1, 7 * 86_400),
    maxDatasetBytes,
    maxLabelBytes: int(env, 'MAX_LABEL_BYTES', 32 * 1024 ** 2, 1024, 2 ** 31),
    wsMessagesPerSecond: int(env, 'WS_MESSAGES_PER_SECOND', 50, 1, 100_000),
    allowedHosts: list(env, 'ALLOWED_HOSTS').map((h) => h.toLowerCase()),
  };
};

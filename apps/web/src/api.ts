import type { KeyStore } from './auth.js';
import type { OverlayLabels } from './label-overlay.js';
import type { ApiErrorBody, JobPage, JobView, PresetsResponse, PreviewResponse } from './types.js';

/** An error the API answered with (or a network failure, code NETWORK), ready to show to a person. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Reads the `{ error: { code, message, field } }` body, falling back to the status line. */
export const errorFromResponse = (status: number, statusText: string, bodyText: string): ApiError => {
  try {
    const body = JSON.parse(bodyText) as Partial<ApiErrorBody>;
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(status, body.error.code ?? 'ERROR', body.error.message, body.error.field);
    }
  } catch {
    // not JSON: use the status below
  }
  const message =
    status === 401 || status === 403
      ? 'The server needs a valid API key. Enter it under "API key".'
      : status === 413
        ? 'The upload is too large for the server.'
        : `The server answered ${status} ${statusText}`.trim();
  return new ApiError(status, status === 401 ? 'UNAUTHORIZED' : 'HTTP_ERROR', message);
};

export interface JobFilter {
  readonly status?: string;
  readonly tag?: string;
  readonly cursor?: string;
}

export interface UploadHandle {
  readonly done: Promise<JobView>;
  abort(): void;
}

/** The gateway's HTTP API, same origin. */
export class ApiClient {
  constructor(
    private readonly keys: KeyStore,
    private readonly base = '',
  ) {}

  presets(): Promise<PresetsResponse> {
    return this.json('GET', '/api/presets');
  }

  listJobs(filter: JobFilter = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
    const search = query.toString();
    return this.json('GET', `/api/jobs${search ? `?${search}` : ''}`);
  }

  getJob(id: string): Promise<JobView> {
    return this.json('GET', `/api/jobs/${encodeURIComponent(id)}`);
  }

  async deleteJob(id: string): Promise<void> {
    await this.json('DELETE', `/api/jobs/${encodeURIComponent(id)}`);
  }

  /** POSTs the multipart form with XHR, which (unlike fetch) reports upload progress. */
  createJob(form: FormData, onProgress: (fraction: number) => void): UploadHandle {
    const xhr = new XMLHttpRequest();
    const done = new Promise<JobView>((resolve, reject) => {
      xhr.open('POST', `${this.base}/api/jobs`);
      for (const [name, value] of Object.entries(this.keys.headers())) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as JobView);
          } catch {
            reject(
              new ApiError(xhr.status, 'BAD_RESPONSE', 'The server accepted the upload but its answer was unreadable.'),
            );
          }
        } else reject(errorFromResponse(xhr.status, xhr.statusText, xhr.responseText));
      };
      xhr.onerror = () =>
        reject(new ApiError(0, 'NETWORK', 'The upload could not reach the server. Check your connection.'));
      xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'The upload was cancelled.'));
      xhr.send(form);
    });
    return { done, abort: () => xhr.abort() };
  }

  /** Renders a few variants of one image (`POST /api/preview`); nothing is stored. */
  async preview(form: FormData, signal: AbortSignal): Promise<PreviewResponse> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/preview`, {
        method: 'POST',
        headers: { accept: 'application/json', ...this.keys.headers() },
        body: form,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
    return JSON.parse(text) as PreviewResponse;
  }

  thumbnailUrl(jobId: string, sourceId: string): string {
    return this.keys.withToken(`${this.jobPath(jobId)}/sources/${encodeURIComponent(sourceId)}/thumbnail`);
  }

  variantUrl(jobId: string, sourceId: string, index: number): string {
    return this.keys.withToken(`${this.jobPath(jobId)}/sources/${encodeURIComponent(sourceId)}/variants/${index}`);
  }

  /** An output's labels (boxes, polygons, keypoints) as JSON. */
  labels(jobId: string, sourceId: string, index: number): Promise<OverlayLabels> {
    return this.json<OverlayLabels>(
      'GET',
      `/api/jobs/${encodeURIComponent(jobId)}/sources/${encodeURIComponent(sourceId)}/variants/${index}/labels?format=json`,
    );
  }

  archiveUrl(jobId: string): string {
    return this.keys.withToken(`${this.jobPath(jobId)}/archive`);
  }

  private jobPath(jobId: string): string {
    return `${this.base}/api/jobs/${encodeURIComponent(jobId)}`;
  }

  private async json<T>(method: string, path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { accept: 'application/json', ...this.keys.headers() },
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response.status, response.statusText, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

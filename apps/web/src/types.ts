import type { paths } from '@delta-augment/client';

/** Shapes of the gateway's public HTTP and WebSocket contract, as the page sees them (docs: DESIGN.md). */

export type JobStatus = 'created' | 'queued' | 'processing' | 'completed' | 'failed';
export type SourceStatus = 'pending' | 'uploaded' | 'processing' | 'completed' | 'failed' | 'dead-lettered';

export interface SourceView {
  readonly sourceId: string;
  readonly name: string;
  readonly label: string;
  readonly status: SourceStatus;
  readonly width?: number;
  readonly height?: number;
  readonly failure?: string;
  /** Variants written so far. */
  readonly variants: number;
  /** Outputs this source makes (labelled datasets: variants and/or the original). */
  readonly outputs?: number;
  readonly split?: 'train' | 'valid' | 'test';
}

/** A labelled dataset job's formats and class counts. */
export interface DatasetView {
  readonly format: string;
  readonly export: string;
  readonly split?: string;
  readonly categories: readonly string[];
  readonly counts: { readonly before: readonly number[]; readonly after: readonly number[]; readonly dropped: number };
  readonly skipped: number;
}

/** One delivery attempt of a job's webhook. */
export interface WebhookAttemptView {
  readonly attempt: number;
  readonly at: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** A job's webhook: `waiting` for the job to end, `pending` (retrying), `delivered` or `failed` (gave up). */
export interface WebhookView {
  readonly url: string;
  readonly status: 'waiting' | 'pending' | 'delivered' | 'failed';
  readonly attempts: readonly WebhookAttemptView[];
}

export interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  readonly progress: { readonly done: number; readonly total: number };
  readonly sources: readonly SourceView[];
  readonly tags: readonly string[];
  readonly variantsPerSource: number;
  readonly pipeline: { readonly preset?: string; readonly seed?: number };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt?: string;
  /** Seq of the last event folded into this view, when the server says. */
  readonly version?: number;
  readonly failure?: string;
  readonly archive?: { readonly bytes: number; readonly count: number };
  readonly dataset?: DatasetView;
  readonly webhook?: WebhookView;
}

export interface JobPage {
  readonly items: readonly JobView[];
  readonly cursor?: string;
}

/** One operation of the engine and the ranges of its parameters, when the gateway lists them. */
export interface OperationInfo {
  readonly op: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface PresetsResponse {
  readonly presets: Readonly<Record<string, unknown>>;
  readonly default?: string;
  readonly operations?: readonly OperationInfo[];
}

export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/** A stored job event as the WebSocket delivers it. `data` depends on `type`. */
export interface JobEventMessage {
  readonly type: string;
  readonly jobId: string;
  readonly seq: number;
  readonly at?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type ServerMessage =
  | { readonly type: 'event'; readonly jobId: string; readonly seq: number; readonly event: JobEventMessage }
  | { readonly type: 'subscribed'; readonly jobId?: string }
  | { readonly type: 'error'; readonly code?: string; readonly message?: string; readonly jobId?: string };

/** `POST /api/preview`'s answer, typed from the OpenAPI document through the generated client types. */
export type PreviewResponse = paths['/api/preview']['post']['responses'][200]['content']['application/json'];

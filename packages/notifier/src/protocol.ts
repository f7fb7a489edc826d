import type { JobEvent } from '@delta-augment/core';
import type { RawData } from 'ws';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';

/** The job id that stands for every job of the caller. */
export const ALL_JOBS = '*';

const MAX_JOB_ID_LENGTH = 200;

/** Messages a client sends. */
export type ClientMessage =
  | { readonly type: 'subscribe'; readonly jobId: string; readonly after: number }
  | { readonly type: 'unsubscribe'; readonly jobId: string };

/** Messages the notifier sends. */
export type ServerMessage =
  | { readonly type: 'event'; readonly jobId: string; readonly seq: number; readonly event: JobEvent }
  | { readonly type: 'subscribed'; readonly jobId: string; readonly after: number | null }
  | { readonly type: 'unsubscribed'; readonly jobId: string }
  | { readonly type: 'error'; readonly code: ProtocolErrorCode; readonly message: string; readonly jobId?: string };

const byteLength = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;

const toText = (data: RawData): string => {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const jobIdOf = (message: Record<string, unknown>): string => {
  const { jobId } = message;
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID_LENGTH) {
    throw new ProtocolError('INVALID_MESSAGE', `jobId must be a string of 1 to ${MAX_JOB_ID_LENGTH} characters`);
  }
  return jobId;
};

/** Reads one client frame; throws {@link ProtocolError} for anything that is not a valid message. */
export const parseClientMessage = (data: RawData, isBinary: boolean, maxBytes: number): ClientMessage => {
  const size = byteLength(data);
  if (size > maxBytes) throw new ProtocolError('MESSAGE_TOO_LARGE', `message of ${size} bytes is over ${maxBytes}`);
  if (isBinary) throw new ProtocolError('INVALID_MESSAGE', 'messages must be JSON text frames');
  let message: unknown;
  try {
    message = JSON.parse(toText(data));
  } catch (error) {
    throw new ProtocolError('INVALID_JSON', 'message is not valid JSON', undefined, { cause: error });
  }
  if (!isRecord(message) || typeof message.type !== 'string') {
    throw new ProtocolError('INVALID_MESSAGE', 'message must be a JSON object with a string "type"');
  }
  switch (message.type) {
    case 'subscribe': {
      const jobId = jobIdOf(message);
      if (jobId === ALL_JOBS) return { type: 'subscribe', jobId, after: 0 };
      const after = message.after ?? 0;
      if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0) {
        throw new ProtocolError('INVALID_MESSAGE', 'after must be a non-negative integer', jobId);
      }
      return { type: 'subscribe', jobId, after };
    }
    case 'unsubscribe':
      return { type: 'unsubscribe', jobId: jobIdOf(message) };
    default:
      throw new ProtocolError('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(message.type.slice(0, 40))}`);
  }
};

const encoded = new WeakMap<JobEvent, Buffer>();

/** The `event` frame of a job event, encoded once and shared by every connection that receives it. */
export const encodeEvent = (event: JobEvent): Buffer => {
  let frame = encoded.get(event);
  if (!frame) {
    const message: ServerMessage = { type: 'event', jobId: event.jobId, seq: event.seq, event };
    frame = Buffer.from(JSON.stringify(message));
    encoded.set(event, frame);
  }
  return frame;
};

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { apiErrorOf, isRetryableStatus, UnreachableError } from '../errors.js';

export interface SendOptions {
  readonly method: 'PUT' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The body, produced afresh for every attempt. */
  readonly body: () => Readable;
  readonly bytes: number;
  /** Called with the bytes written since the last call (negative when an attempt is abandoned). */
  readonly onBytes?: (delta: number) => void;
  readonly signal?: AbortSignal;
  /** Upload speed limit in bytes per second (0: none). */
  readonly limitRate?: number;
}

export interface SendResult {
  readonly status: number;
  readonly body: string;
}

/** Counts the bytes that pass and, with a rate limit, paces them. */
const meter = (onBytes: (delta: number) => void, limitRate: number) => {
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      onBytes(chunk.length);
      const due = limitRate > 0 ? started + (sent / limitRate) * 1000 - Date.now() : 0;
      if (due > 0) setTimeout(() => callback(null, chunk), due);
      else callback(null, chunk);
    },
  });
};

const readAll = async (response: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * One streamed request with a known Content-Length (S3 presigned PUTs need it, so no chunked encoding):
 * the body is piped from its stream, never buffered. Network failures reject with {@link UnreachableError}.
 */
export const sendOnce = (options: SendOptions): Promise<SendResult> =>
  new Promise((resolve, reject) => {
    const url = new URL(options.url);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: options.method,
      headers: { ...options.headers, 'content-length': String(options.bytes) },
      signal: options.signal,
    });
    let written = 0;
    const count = (delta: number) => {
      written += delta;
      options.onBytes?.(delta);
    };
    const fail = (error: Error) => {
      if (written !== 0) options.onBytes?.(-written);
      written = 0;
      if (options.signal?.aborted) reject(options.signal.reason ?? error);
      else
        reject(
          new UnreachableError(
            `${options.method} ${url.host}${url.pathname}: ${(error as { code?: string }).code ?? error.message}`,
            { cause: error },
          ),
        );
    };
    request.once('error', fail);
    request.once('response', (response) => {
      readAll(response).then((body) => {
        const status = response.statusCode ?? 0;
        if (status >= 400 && written !== 0) {
          options.onBytes?.(-written);
          written = 0;
        }
        resolve({ status, body });
      }, fail);
    });
    pipeline(options.body(), meter(count, options.limitRate ?? 0), request).catch(fail);
  });

export interface RetryOptions {
  /** Attempts in all (first included). */
  readonly attempts: number;
  /** First back-off in ms, doubled each time, with jitter. */
  readonly backoffMs: number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Sends with retries on network failures and on 429/502/503/504 (exponential back-off with jitter);
 * other 4xx/5xx answers are returned to the caller, who knows what they mean (409 for an object already
 * stored, 403 for an expired URL).
 */
export const sendWithRetry = async (options: SendOptions, retry: RetryOptions): Promise<SendResult> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await sendOnce(options);
      if (!isRetryableStatus(result.status) || attempt >= retry.attempts) return result;
    } catch (error) {
      if (!(error instanceof UnreachableError) || attempt >= retry.attempts) throw error;
    }
    await sleep(retry.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()), retry.signal);
  }
};

/** Parses a JSON answer, or throws the API error it carries. */
export const jsonOf = <T>(result: SendResult): T => {
  let parsed: unknown;
  try {
    parsed = result.body ? JSON.parse(result.body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (result.status >= 400) throw apiErrorOf(result.status, parsed, result.body);
  return parsed as T;
};

/** A readable of a string, for multipart preambles. */
export const textStream = (text: string): Readable => Readable.from([Buffer.from(text)]);

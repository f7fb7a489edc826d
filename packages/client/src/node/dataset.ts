import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import type { InputFile } from './scan.js';
import { jsonOf, type SendOptions, sendWithRetry, textStream } from './send.js';

/** Zips a folder's images and label files into `target` (stored, not deflated: images are compressed already). */
export const zipFolder = async (files: readonly InputFile[], target: string): Promise<number> => {
  const archive = new ZipArchive({ store: true });
  const written = pipeline(archive, createWriteStream(target));
  for (const file of files) archive.file(file.path, { name: file.relative });
  await archive.finalize();
  await written;
  return (await stat(target)).size;
};

const escapeName = (value: string) => value.replace(/["\r\n\\]/g, '_');

/** A multipart/form-data body (fields, then one file part streamed from disk) and its exact length. */
export const multipartOf = (
  fields: Readonly<Record<string, string>>,
  file: { path: string; name: string; bytes: number; contentType: string },
): { contentType: string; bytes: number; body: () => Readable } => {
  const boundary = `----delta-augment-${randomBytes(12).toString('hex')}`;
  const head =
    Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\ncontent-disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${escapeName(file.name)}"\r\n` +
    `content-type: ${file.contentType}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const body = () => {
    const out = new PassThrough();
    (async () => {
      for (const part of [textStream(head), createReadStream(file.path), textStream(tail)]) {
        for await (const chunk of part) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      }
      out.end();
    })().catch((error: unknown) => out.destroy(error as Error));
    return out;
  };
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    bytes: Buffer.byteLength(head) + file.bytes + Buffer.byteLength(tail),
    body,
  };
};

/**
 * Creates a job from one dataset zip (COCO, YOLO, VOC or class folders; the gateway detects the layout)
 * with a streamed multipart `POST /api/jobs`: the zip goes from disk to the socket, never into memory.
 */
export const postDataset = async <T>(
  options: Pick<SendOptions, 'onBytes' | 'signal' | 'limitRate'> & {
    url: string;
    key?: string;
    zip: { path: string; name: string; bytes: number };
    fields: Readonly<Record<string, string>>;
    attempts: number;
    backoffMs: number;
  },
): Promise<T> => {
  const form = multipartOf(options.fields, { ...options.zip, contentType: 'application/zip' });
  const result = await sendWithRetry(
    {
      method: 'POST',
      url: `${options.url.replace(/\/+$/, '')}/api/jobs`,
      headers: {
        'content-type': form.contentType,
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      },
      body: form.body,
      bytes: form.bytes,
      onBytes: options.onBytes,
      signal: options.signal,
      limitRate: options.limitRate,
    },
    { attempts: options.attempts, backoffMs: options.backoffMs, signal: options.signal },
  );
  return jsonOf<T>(result);
};

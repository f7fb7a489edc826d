import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { apiErrorOf, UnreachableError } from '../errors.js';

export interface DownloadOptions {
  readonly url: string;
  readonly key?: string;
  readonly jobId: string;
  /** Where the zip is written. */
  readonly target: string;
  readonly signal?: AbortSignal;
  /** Called with the total size once known, then with each chunk's size. */
  readonly onTotal?: (bytes: number) => void;
  readonly onBytes?: (delta: number) => void;
}

const open = (url: URL, headers: Record<string, string>, signal?: AbortSignal) =>
  new Promise<IncomingMessage>((resolvePromise, reject) => {
    const request = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { headers, signal });
    request.once('response', resolvePromise);
    request.once('error', (error) =>
      reject(
        signal?.aborted
          ? error
          : new UnreachableError(`GET ${url.pathname}: ${(error as { code?: string }).code ?? error.message}`, {
              cause: error,
            }),
      ),
    );
  });

/** Streams `GET /api/jobs/{id}/archive` to a file (through a `.part` file renamed at the end). */
export const downloadArchive = async (options: DownloadOptions): Promise<number> => {
  const url = new URL(`/api/jobs/${encodeURIComponent(options.jobId)}/archive`, options.url);
  const response = await open(url, options.key ? { authorization: `Bearer ${options.key}` } : {}, options.signal);
  if ((response.statusCode ?? 0) >= 400) {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {}
    throw apiErrorOf(response.statusCode ?? 0, body, text);
  }
  const total = Number(response.headers['content-length'] ?? 0);
  options.onTotal?.(total);
  await mkdir(dirname(options.target), { recursive: true });
  const part = `${options.target}.part`;
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      options.onBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
  await pipeline(response, count, createWriteStream(part), { signal: options.signal });
  await rename(part, options.target);
  return bytes;
};

/** The path an entry would be written to, or undefined when it would leave `root` (zip slip). */
const entryPath = (root: string, name: string): string | undefined => {
  if (name.includes('\0') || /^[a-zA-Z]:/.test(name)) return undefined;
  const path = resolve(root, normalize(name));
  return path.startsWith(root + sep) ? path : undefined;
};

/** Extracts a zip into `out` (streamed entry by entry), refusing entries that would land outside it. */
export const extractZip = (zipPath: string, out: string): Promise<string[]> =>
  new Promise((resolvePromise, reject) => {
    const root = resolve(out);
    const written: string[] = [];
    yauzl.open(zipPath, { lazyEntries: true, strictFileNames: false }, (error, zip) => {
      if (error || !zip) return reject(error);
      zip.on('error', reject);
      zip.on('end', () => resolvePromise(written));
      zip.on('entry', (entry: yauzl.Entry) => {
        const path = entryPath(root, entry.fileName);
        if (!path) return reject(new Error(`the archive entry ${JSON.stringify(entry.fileName)} would leave ${out}`));
        if (entry.fileName.endsWith('/')) {
          mkdir(path, { recursive: true }).then(() => zip.readEntry(), reject);
          return;
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          mkdir(dirname(path), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(path)))
            .then(() => {
              written.push(path);
              zip.readEntry();
            }, reject);
        });
      });
      zip.readEntry();
    });
  });

/** Downloads and extracts a job's archive into `out`, removing the zip afterwards unless asked to keep it. */
export const downloadAndExtract = async (
  options: Omit<DownloadOptions, 'target'> & { out: string; keepZip?: boolean },
): Promise<{ bytes: number; files: string[]; zip?: string }> => {
  const target = join(options.out, `${options.jobId}.zip`);
  const bytes = await downloadArchive({ ...options, target });
  const files = await extractZip(target, options.out);
  if (!options.keepZip) await rm(target, { force: true });
  return { bytes, files, zip: options.keepZip ? target : undefined };
};

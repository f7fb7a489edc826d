import { sanitizeName } from '@delta-augment/shared';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { badRequest, RequestError, tooLarge } from './errors.js';

export interface ReceivedFile {
  readonly field: string;
  readonly name: string;
  readonly data: Buffer;
}

export interface ReceivedForm {
  readonly fields: Record<string, string>;
  readonly files: ReceivedFile[];
}

/** The multipart plugin's `fieldSize` limit (app.ts). */
export const MAX_FIELD_BYTES = 64 * 1024;

const FIELDS = new Set([
  'variants',
  'tags',
  'preset',
  'pipeline',
  'seed',
  'format',
  'export',
  'split',
  'onLabelError',
  'minVisibility',
  'augmentSplits',
  'includeOriginals',
]);

export interface FormLimits {
  readonly maxFileBytes: number;
  readonly maxRequestBytes: number;
  readonly maxFiles: number;
  /** The option fields the route knows (others are refused); default the job fields. */
  readonly fields?: ReadonlySet<string>;
}

/**
 * Reads a multipart body into memory within the byte and file limits, naming the limit that was hit.
 * A body the parser cannot read (no boundary, cut short) is the client's fault: a 400 naming `body`.
 */
export const readForm = async (request: FastifyRequest, limits: FormLimits): Promise<ReceivedForm> => {
  try {
    return await readParts(request, limits);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof RequestError || (typeof code === 'string' && code.startsWith('FST_'))) throw error;
    throw badRequest('body', `the multipart body could not be read: ${(error as Error).message}`, 'MALFORMED_BODY');
  }
};

const readParts = async (request: FastifyRequest, limits: FormLimits): Promise<ReceivedForm> => {
  const fields: Record<string, string> = {};
  const files: ReceivedFile[] = [];
  let total = 0;
  const known = limits.fields ?? FIELDS;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (!known.has(part.fieldname))
        throw badRequest(
          part.fieldname,
          `unknown field ${JSON.stringify(part.fieldname.slice(0, 40))}; known: ${[...known].join(', ')}`,
        );
      if (part.valueTruncated) {
        throw tooLarge(
          part.fieldname,
          `the ${part.fieldname} field is over ${MAX_FIELD_BYTES} bytes (the limit of a form field)`,
        );
      }
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== 'file') throw badRequest(part.fieldname, 'files go in parts named "file"');
    if (files.length >= limits.maxFiles)
      throw tooLarge('file', `more than ${limits.maxFiles} files in one job (MAX_FILES_PER_JOB)`);
    const data = await readFile(part as MultipartFile, limits.maxFileBytes);
    total += data.length;
    if (total > limits.maxRequestBytes)
      throw tooLarge('file', `the request is over ${limits.maxRequestBytes} bytes (MAX_REQUEST_BYTES)`);
    files.push({ field: `file[${files.length}]`, name: sanitizeName(part.filename || 'image'), data });
  }
  return { fields, files };
};

const readFile = async (part: MultipartFile, maxFileBytes: number): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
  }
  if (part.file.truncated || size > maxFileBytes) {
    throw tooLarge('file', `${sanitizeName(part.filename || 'file')} is over ${maxFileBytes} bytes (MAX_FILE_BYTES)`);
  }
  return Buffer.concat(chunks);
};

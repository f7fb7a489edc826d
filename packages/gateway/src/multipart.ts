import { sanitizeName } from '@delta-augment/core';
import { IMAGE_TYPES, sniffType } from '@delta-augment/datasets';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { badRequest, RequestError, tooLarge, unsupported } from './errors.js';

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
  'webhookUrl',
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
  const declared = Number(request.headers['content-length']);
  // The whole body is refused from its declared length before a byte of it is read (multipart framing allowed for).
  if (declared > limits.maxRequestBytes + FRAMING_ALLOWANCE)
    throw tooLarge('file', `the request is ${declared} bytes, over ${limits.maxRequestBytes} (MAX_REQUEST_BYTES)`);
  const fields: Record<string, string> = {};
  const files: ReceivedFile[] = [];
  const budget = { left: limits.maxRequestBytes };
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
      if (Object.hasOwn(fields, part.fieldname))
        throw badRequest(part.fieldname, `the ${part.fieldname} field is given twice; send it once`, 'DUPLICATE_FIELD');
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== 'file') throw badRequest(part.fieldname, 'files go in parts named "file"');
    if (files.length >= limits.maxFiles)
      throw tooLarge('file', `more than ${limits.maxFiles} files in one job (MAX_FILES_PER_JOB)`);
    const field = `file[${files.length}]`;
    const name = sanitizeName(part.filename || 'image');
    const data = await readFile(part as MultipartFile, field, name, limits, budget);
    files.push({ field, name, data });
  }
  return { fields, files };
};

/** Multipart boundaries and part headers on top of the file bytes that MAX_REQUEST_BYTES counts. */
const FRAMING_ALLOWANCE = 1024 * 1024;

/** Bytes needed to tell every accepted file type (images, zip) from its signature. */
const SNIFF_BYTES = 16;

/**
 * Reads one file part, checking as it streams: its type from its first bytes (junk is refused after 16
 * bytes, not after 25 MB), its size against MAX_FILE_BYTES and the request's total against MAX_REQUEST_BYTES
 * at every chunk. The gateway holds at most MAX_REQUEST_BYTES of one request, however it is shaped.
 */
const readFile = async (
  part: MultipartFile,
  field: string,
  name: string,
  limits: FormLimits,
  budget: { left: number },
): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  let sniffed = false;
  for await (const chunk of part.file) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    budget.left -= buffer.length;
    if (size > limits.maxFileBytes || part.file.truncated)
      throw tooLarge(field, `${name} is over ${limits.maxFileBytes} bytes (MAX_FILE_BYTES)`);
    if (budget.left < 0)
      throw tooLarge(field, `the request is over ${limits.maxRequestBytes} bytes (MAX_REQUEST_BYTES)`);
    chunks.push(buffer);
    if (!sniffed && size >= SNIFF_BYTES) {
      sniffed = true;
      checkType(field, name, Buffer.concat(chunks));
    }
  }
  if (part.file.truncated || size > limits.maxFileBytes) {
    throw tooLarge(field, `${name} is over ${limits.maxFileBytes} bytes (MAX_FILE_BYTES)`);
  }
  const data = Buffer.concat(chunks);
  if (!sniffed && data.length > 0) checkType(field, name, data);
  return data;
};

const checkType = (field: string, name: string, head: Buffer): void => {
  const type = sniffType(head);
  if (type === 'zip' || (type && IMAGE_TYPES.has(type))) return;
  throw unsupported(
    field,
    `${name} is not a supported image (JPEG, PNG, WebP, TIFF, AVIF, GIF) or dataset zip — its bytes say ${type ?? 'unknown'}`,
  );
};

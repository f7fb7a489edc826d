import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { apiErrorOf, UnreachableError } from '@delta-augment/client';
import { CONTENT_TYPES } from '@delta-augment/client/node';
import sharp from 'sharp';
import type { Output } from './augment-command.js';
import { UsageError } from './exit-codes.js';

export interface PreviewCommand {
  readonly url: string;
  readonly key?: string;
  readonly image: string;
  /** The contact sheet's path; default `<image name>-preview.png`. */
  readonly out?: string;
  readonly count?: number;
  /** Longest side of each tile (px). */
  readonly size?: number;
  readonly columns?: number;
  readonly preset?: string;
  readonly pipeline?: unknown;
  readonly seed?: number;
}

interface PreviewVariant {
  readonly index: number;
  readonly image: string;
  readonly operations: readonly { op: string; params?: Record<string, unknown> }[];
}

interface PreviewAnswer {
  readonly pipeline: { name?: string; seed?: number };
  readonly variants: readonly PreviewVariant[];
}

/** Space between tiles and around the sheet (px). */
const GAP = 8;
const BACKGROUND = { r: 32, g: 32, b: 32, alpha: 1 };

/** `POST /api/preview` with the image as a file part; the API's 4xx becomes an `ApiError` (exit 2). */
const fetchPreview = async (command: PreviewCommand, data: Buffer): Promise<PreviewAnswer> => {
  const form = new FormData();
  if (command.count !== undefined) form.set('count', String(command.count));
  if (command.size !== undefined) form.set('size', String(command.size));
  if (command.preset !== undefined) form.set('preset', command.preset);
  if (command.pipeline !== undefined) form.set('pipeline', JSON.stringify(command.pipeline));
  if (command.seed !== undefined) form.set('seed', String(command.seed));
  const type = CONTENT_TYPES[extname(command.image).toLowerCase()] ?? 'application/octet-stream';
  form.set('file', new Blob([new Uint8Array(data)], { type }), basename(command.image));
  const response = await fetch(`${command.url.replace(/\/+$/, '')}/api/preview`, {
    method: 'POST',
    headers: command.key ? { authorization: `Bearer ${command.key}` } : {},
    body: form,
  }).catch((error: Error) => {
    throw new UnreachableError(`cannot reach ${command.url}: ${error.message}`, { cause: error });
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {}
  if (!response.ok) throw apiErrorOf(response.status, body, text);
  return body as PreviewAnswer;
};

export interface ContactSheet {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  /** Side of each (square) cell. */
  readonly cell: number;
}

/**
 * A grid of `tiles` on a dark background: each tile fitted (aspect kept) and centred in a `cell` × `cell`
 * square, `GAP` px apart, `columns` per row (default: as square a grid as fits).
 */
export const contactSheet = async (tiles: readonly Buffer[], cell: number, columns?: number): Promise<ContactSheet> => {
  const cols = Math.max(1, Math.min(tiles.length, columns ?? Math.ceil(Math.sqrt(tiles.length))));
  const rows = Math.ceil(tiles.length / cols);
  const width = GAP + cols * (cell + GAP);
  const height = GAP + rows * (cell + GAP);
  const placed = await Promise.all(
    tiles.map(async (tile, i) => {
      const fitted = await sharp(tile)
        .rotate()
        .resize({ width: cell, height: cell, fit: 'contain', background: BACKGROUND })
        .png()
        .toBuffer();
      return { input: fitted, left: GAP + (i % cols) * (cell + GAP), top: GAP + Math.floor(i / cols) * (cell + GAP) };
    }),
  );
  const png = await sharp({ create: { width, height, channels: 4, background: BACKGROUND } })
    .composite(placed)
    .png()
    .toBuffer();
  return { png, width, height, columns: cols, rows, cell };
};

/**
 * `delta-augment preview <image>`: renders a few variants through `POST /api/preview` (nothing is stored) and
 * writes a contact sheet PNG: the original first, then each variant, in a grid. Prints where it wrote it
 * and the operations each variant drew.
 */
export const runPreview = async (command: PreviewCommand, output: Output): Promise<void> => {
  const data = await readFile(command.image).catch((error: Error) => {
    throw new UsageError(`cannot read ${command.image}: ${error.message}`);
  });
  const answer = await fetchPreview(command, data);
  const variants = answer.variants.map((v) => ({
    index: v.index,
    operations: v.operations,
    data: Buffer.from(v.image.slice(v.image.indexOf(',') + 1), 'base64'),
  }));
  const cell = Math.max(
    16,
    ...(await Promise.all(variants.map(async (v) => sharp(v.data).metadata()))).map((m) =>
      Math.max(m.width ?? 0, m.height ?? 0),
    ),
  );
  const sheet = await contactSheet([data, ...variants.map((v) => v.data)], cell, command.columns);
  const out = resolve(command.out ?? `${basename(command.image, extname(command.image))}-preview.png`);
  await writeFile(out, sheet.png);
  const result = {
    type: 'preview',
    out,
    width: sheet.width,
    height: sheet.height,
    columns: sheet.columns,
    rows: sheet.rows,
    cell: sheet.cell,
    pipeline: answer.pipeline,
    tiles: [
      { tile: 0, original: true },
      ...variants.map((v, i) => ({ tile: i + 1, index: v.index, operations: v.operations.map((o) => o.op) })),
    ],
  };
  if (output.json) {
    output.line(result);
    return;
  }
  output.info(`wrote ${out} (${sheet.width}x${sheet.height}: the original, then ${variants.length} variants)`);
  for (const tile of result.tiles.slice(1))
    output.info(
      `  variant ${'index' in tile ? tile.index : ''}: ${'operations' in tile ? tile.operations.join(', ') || '(none)' : ''}`,
    );
};

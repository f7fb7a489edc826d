import { opendir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';

/** Image extensions the service accepts (the server checks the bytes again). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.avif',
  '.gif',
]);

/** Label and dataset files passed through to the server (COCO .json, YOLO .txt + data.yaml, VOC .xml). */
export const LABEL_EXTENSIONS: ReadonlySet<string> = new Set(['.json', '.txt', '.xml', '.yaml', '.yml']);

export interface InputFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the input folder, with `/`. */
  readonly relative: string;
  readonly name: string;
  /** The image's class: its folder's name ('' at the top of the input folder). */
  readonly label: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export interface ScannedInput {
  readonly kind: 'folder' | 'zip';
  readonly root: string;
  readonly images: readonly InputFile[];
  readonly labels: readonly InputFile[];
  readonly totalBytes: number;
}

/** Thrown for input the CLI cannot send (missing path, no images, wrong kind of file). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

const fileOf = async (root: string, path: string): Promise<InputFile> => {
  const info = await stat(path);
  const rel = relative(root, path).split(sep).join('/');
  const folder = dirname(rel);
  return {
    path,
    relative: rel,
    name: basename(path),
    label: folder === '.' ? '' : basename(folder),
    bytes: info.size,
    mtimeMs: info.mtimeMs,
  };
};

/** Walks a folder (hidden files and folders skipped), yielding file paths in a stable order. */
async function* walk(dir: string): AsyncGenerator<string> {
  const entries: { name: string; isDir: boolean }[] = [];
  for await (const entry of await opendir(dir)) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory() || entry.isFile()) entries.push({ name: entry.name, isDir: entry.isDirectory() });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDir) yield* walk(path);
    else yield path;
  }
}

/**
 * Finds what to send: the images of a folder (sub-folders are class labels) and its label files, or one
 * dataset `.zip`. Only names and sizes are read: nothing is loaded into memory.
 */
export const scanInput = async (input: string): Promise<ScannedInput> => {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new InputError(`${input} does not exist`);
  if (info.isFile()) {
    if (extname(input).toLowerCase() !== '.zip') throw new InputError(`${input} is neither a folder nor a .zip`);
    const zip = await fileOf(dirname(input), input);
    return { kind: 'zip', root: dirname(input), images: [zip], labels: [], totalBytes: zip.bytes };
  }
  const images: InputFile[] = [];
  const labels: InputFile[] = [];
  for await (const path of walk(input)) {
    const ext = extname(path).toLowerCase();
    if (IMAGE_EXTENSIONS.has(ext)) images.push(await fileOf(input, path));
    else if (LABEL_EXTENSIONS.has(ext)) labels.push(await fileOf(input, path));
  }
  if (images.length === 0) throw new InputError(`no images (${[...IMAGE_EXTENSIONS].join(' ')}) in ${input}`);
  const totalBytes = [...images, ...labels].reduce((sum, f) => sum + f.bytes, 0);
  return { kind: 'folder', root: input, images, labels, totalBytes };
};

import { sanitizeLabel, sanitizeName } from '@delta-augment/core';
import yauzl from 'yauzl';
import { badRequest, RequestError, tooLarge } from './errors.js';

export interface DatasetFile {
  readonly name: string;
  /** The class label: the entry's folder ('' for an entry at the top). */
  readonly label: string;
  readonly data: Buffer;
}

export interface DatasetLimits {
  /** Images per dataset (MAX_FILES_PER_JOB). */
  readonly maxFiles: number;
  /** Inflated bytes per image (MAX_FILE_BYTES). */
  readonly maxFileBytes: number;
  /** Inflated bytes in all (MAX_REQUEST_BYTES). */
  readonly maxTotalBytes: number;
  /** The name of the total's budget in messages (default MAX_REQUEST_BYTES). */
  readonly totalName?: string;
  /**
   * Bytes of label files (.json, .txt, .yaml, .xml) in all (MAX_LABEL_BYTES): they are held in memory as text
   * until the dataset is read, so this bounds that memory whatever the zip's size.
   */
  readonly maxLabelBytes: number;
}

/** yauzl's messages for entry names that would escape a folder (zip-slip): the whole upload is refused. */
const UNSAFE_PATH = /^(absolute path|invalid relative path|invalid characters in fileName): /;

/** yauzl's message when an entry inflates past the size its header claims. */
const LYING_SIZE = /^too many bytes in the stream/;

const IMAGE_NAME = /\.(jpe?g|png|gif|webp|tiff?|avif)$/i;
/** Label files kept beside the images: COCO JSON, YOLO txt and yaml, VOC XML. */
const LABEL_NAME = /\.(json|txt|ya?ml|xml)$/i;

interface RawFile {
  readonly folders: readonly string[];
  readonly base: string;
  readonly data: Buffer;
}

/** Everything a dataset zip holds that matters: images by path, and label files by path. */
export interface DatasetZip {
  readonly images: readonly (DatasetFile & { readonly path: string })[];
  readonly texts: ReadonlyMap<string, string>;
}

/**
 * Labels from folders: the first folder under a top folder that every image shares (a zipped `dataset/`
 * folder holding `cats/` and `dogs/`), or the first folder itself.
 */
export const labelled = <T extends Pick<RawFile, 'folders' | 'base'>>(
  files: readonly T[],
): (T & { name: string; label: string })[] => {
  const top = files[0]?.folders[0];
  const sharedTop = top !== undefined && files.every((f) => f.folders.length >= 2 && f.folders[0] === top);
  return files.map((f) => {
    const folder = sharedTop ? f.folders[1] : f.folders[0];
    return { ...f, name: sanitizeName(f.base), label: folder ? sanitizeLabel(folder) : '' };
  });
};

/**
 * Reads a dataset zip whose folders are class labels (`cats/a.jpg` → label `cats`). Entry paths never
 * reach the filesystem: only a sanitised folder name and base name are kept, and a zip with an entry
 * named `../x` or `/x` is refused outright (zip-slip). Entries that are not images, hidden files and
 * `__MACOSX` are skipped. Inflated bytes are counted while streaming, so a zip bomb is stopped at the
 * limit, whatever its headers claim.
 */
export const extractDataset = async (zip: Buffer, field: string, limits: DatasetLimits): Promise<DatasetFile[]> =>
  (await readDatasetZip(zip, field, limits)).images.map(({ name, label, data }) => ({ name, label, data }));

/** Reads a dataset zip (see {@link extractDataset}), keeping label files (.json, .txt, .yaml, .xml) as text too. */
export const readDatasetZip = async (zip: Buffer, field: string, limits: DatasetLimits): Promise<DatasetZip> => {
  const archive = await openZip((options, done) => yauzl.fromBuffer(zip, options, done), field);
  const files: RawFile[] = [];
  const texts = await walkDatasetZip(archive, field, limits, (entry, data) => {
    files.push({ folders: entry.folders, base: entry.base, data });
  });
  const images = labelled(files).map((file, i) => {
    const raw = files[i] as RawFile;
    return { ...file, path: [...raw.folders, raw.base].join('/') };
  });
  return { images, texts };
};

type Opener = (options: yauzl.Options, done: (error: Error | null, archive?: yauzl.ZipFile) => void) => void;

/** Opens a zip (lazily: entries are read one at a time), a 422 naming `field` when it cannot be read. */
export const openZip = (open: Opener, field: string): Promise<yauzl.ZipFile> =>
  new Promise((resolve, reject) =>
    open({ lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (openError, archive) => {
      if (openError || !archive) {
        reject(new RequestError('CORRUPT_ZIP', `the dataset zip could not be read: ${openError?.message}`, 422, field));
      } else resolve(archive);
    }),
  );

/** An image entry of a dataset zip: its folders and base name (as in the zip, unsanitised) and its path. */
export interface ImageEntry {
  readonly folders: readonly string[];
  readonly base: string;
  readonly path: string;
}

/**
 * Walks the entries of a dataset zip in order with the rules and limits of {@link extractDataset}: unsafe
 * names refuse the whole zip, entries that are neither images nor label files are skipped, at most
 * `maxFiles` images, each inflating to at most `maxFileBytes` and all to at most `maxTotalBytes` (counted as
 * they inflate). Each image is handed to `visit` (awaited before the next entry is read, so one image at a
 * time is in memory); label files are returned as text by path.
 */
export const walkDatasetZip = (
  archive: yauzl.ZipFile,
  field: string,
  limits: DatasetLimits,
  visit: (entry: ImageEntry, data: Buffer) => void | Promise<void>,
): Promise<Map<string, string>> =>
  new Promise((resolve, reject) => {
    const texts = new Map<string, string>();
    let images = 0;
    let total = 0;
    let labelBytes = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      archive.close();
      reject(error);
    };
    const inflatesTooFar = (path: string) =>
      tooLarge(
        field,
        `${path} inflates past its limit (MAX_FILE_BYTES ${limits.maxFileBytes} per image, ${limits.totalName ?? 'MAX_REQUEST_BYTES'} ${limits.maxTotalBytes} in all)`,
      );
    archive.on('error', (error: Error) =>
      fail(
        UNSAFE_PATH.test(error.message)
          ? badRequest(field, `the dataset zip has an unsafe entry name (${error.message})`, 'UNSAFE_PATH')
          : new RequestError('CORRUPT_ZIP', `the dataset zip is corrupt: ${error.message}`, 422, field),
      ),
    );
    archive.on('end', () => {
      if (failed) return;
      if (images === 0) {
        reject(
          badRequest(field, 'the dataset zip holds no images (.jpg, .png, .gif, .webp, .tiff, .avif)', 'EMPTY_DATASET'),
        );
      } else resolve(texts);
    });
    archive.on('entry', (entry: yauzl.Entry) => {
      const path = entry.fileName;
      const parts = path.split('/').filter(Boolean);
      const base = parts.at(-1) ?? '';
      const isLabel = LABEL_NAME.test(base);
      const skip =
        path.endsWith('/') ||
        parts.some((p) => p.startsWith('.') || p === '__MACOSX') ||
        !(IMAGE_NAME.test(base) || isLabel);
      if (skip) {
        archive.readEntry();
        return;
      }
      if (!isLabel && images >= limits.maxFiles) {
        fail(tooLarge(field, `the dataset holds more than ${limits.maxFiles} images (MAX_FILES_PER_JOB)`));
        return;
      }
      if (entry.uncompressedSize > limits.maxFileBytes) {
        fail(
          tooLarge(
            field,
            `${path} is ${entry.uncompressedSize} bytes; the limit (MAX_FILE_BYTES) is ${limits.maxFileBytes}`,
          ),
        );
        return;
      }
      archive.openReadStream(entry, (streamError, stream) => {
        if (streamError || !stream) {
          fail(new RequestError('CORRUPT_ZIP', `${path} could not be read: ${streamError?.message}`, 422, field));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          total += chunk.length;
          if (size > limits.maxFileBytes || total > limits.maxTotalBytes) {
            stream.destroy();
            fail(inflatesTooFar(path));
            return;
          }
          if (isLabel) labelBytes += chunk.length;
          if (labelBytes > limits.maxLabelBytes) {
            stream.destroy();
            fail(
              tooLarge(field, `the label files pass ${limits.maxLabelBytes} bytes in all at ${path} (MAX_LABEL_BYTES)`),
            );
            return;
          }
          chunks.push(chunk);
        });
        stream.on('error', (error: Error) =>
          fail(
            LYING_SIZE.test(error.message)
              ? tooLarge(field, `${path} inflates past the ${entry.uncompressedSize} bytes its header declares`)
              : new RequestError('CORRUPT_ZIP', `${path}: ${error.message}`, 422, field),
          ),
        );
        stream.on('end', () => {
          if (failed) return;
          const data = Buffer.concat(chunks);
          if (isLabel) {
            texts.set(parts.join('/'), data.toString('utf8'));
            archive.readEntry();
            return;
          }
          images++;
          Promise.resolve(visit({ folders: parts.slice(0, -1), base, path: parts.join('/') }, data)).then(
            () => {
              if (!failed) archive.readEntry();
            },
            (error: Error) => fail(error),
          );
        });
      });
    });
    archive.readEntry();
  });

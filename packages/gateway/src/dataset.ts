import { sanitizeLabel, sanitizeName } from '@delta-augment/shared';
import yauzl from 'yauzl';
import { badRequest, RequestError, tooLarge } from './errors.js';

export interface DatasetFile {
  readonly name: string;
  readonly label: string;
  readonly data: Buffer;
}

export interface DatasetLimits {
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
}

const IMAGE_NAME = /\.(jpe?g|png|gif|webp|tiff?|avif)$/i;

/**
 * Reads a dataset zip whose folders are class labels (`cats/a.jpg` → label `cats`). Entry paths never
 * reach the filesystem: only the sanitised first folder and base name are kept (no zip-slip). Inflated
 * bytes are counted while streaming, so a zip bomb is stopped at the limit, whatever its headers claim.
 */
export const extractDataset = (zip: Buffer, field: string, limits: DatasetLimits): Promise<DatasetFile[]> =>
  new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      zip,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false },
      (openError, archive) => {
        if (openError || !archive) {
          reject(
            new RequestError('CORRUPT_ZIP', `the dataset zip could not be read: ${openError?.message}`, 422, field),
          );
          return;
        }
        const files: DatasetFile[] = [];
        let total = 0;
        const fail = (error: Error) => {
          archive.close();
          reject(error);
        };
        archive.on('error', (error: Error) =>
          fail(new RequestError('CORRUPT_ZIP', `the dataset zip is corrupt: ${error.message}`, 422, field)),
        );
        archive.on('end', () => {
          if (files.length === 0)
            reject(
              badRequest(
                field,
                'the dataset zip holds no images (.jpg, .png, .gif, .webp, .tiff, .avif)',
                'EMPTY_DATASET',
              ),
            );
          else resolve(files);
        });
        archive.on('entry', (entry: yauzl.Entry) => {
          const path = entry.fileName.replace(/\\/g, '/');
          const parts = path.split('/').filter(Boolean);
          const base = parts.at(-1) ?? '';
          const skip =
            path.endsWith('/') || parts.some((p) => p.startsWith('.') || p === '__MACOSX') || !IMAGE_NAME.test(base);
          if (skip) {
            archive.readEntry();
            return;
          }
          if (files.length >= limits.maxFiles) {
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
                fail(
                  tooLarge(
                    field,
                    `the dataset inflates past its limit (MAX_FILE_BYTES ${limits.maxFileBytes} per image, MAX_REQUEST_BYTES ${limits.maxTotalBytes} in all)`,
                  ),
                );
                return;
              }
              chunks.push(chunk);
            });
            stream.on('error', (error: Error) =>
              fail(new RequestError('CORRUPT_ZIP', `${path}: ${error.message}`, 422, field)),
            );
            stream.on('end', () => {
              const label = parts.length > 1 ? sanitizeLabel(parts[0] as string) : '';
              files.push({ name: sanitizeName(base), label, data: Buffer.concat(chunks) });
              archive.readEntry();
            });
          });
        });
        archive.readEntry();
      },
    );
  });

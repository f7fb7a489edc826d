import { ZipArchive } from 'archiver';

export interface ArchiveZipOptions {
  /** Zip64 records for every entry and the end of the archive, however small it is (readers must cope). */
  readonly forceZip64?: boolean;
}

/** Central-directory bytes gathered into one write. */
const CENTRAL_DIRECTORY_CHUNK = 64 * 1024;

/** What {@link gatherCentralDirectory} reaches of archiver's zip engine (zip-stream's ZipArchiveOutputStream). */
interface ZipEngine {
  offset: number;
  write(chunk: Buffer | string): boolean;
  end(): void;
  _finish(): void;
}

/**
 * archiver's zip engine writes the central directory in one synchronous loop of ~17 small writes per entry,
 * each queued in its stream with an object of its own: at 100,000 entries that queue (about 1.7 million
 * objects) exhausted the worker's heap once every entry was written, and the process died with a
 * half-written archive. Here the loop's writes are gathered into 64 KB chunks, so the central directory
 * costs its own bytes (about 100 per entry) and a few dozen queued writes.
 */
const gatherCentralDirectory = (zip: ZipArchive): void => {
  const engine = (zip as unknown as { _module: { engine: ZipEngine } })._module.engine;
  const { _finish: finish, write, end } = engine;
  engine._finish = () => {
    let parts: Buffer[] = [];
    let size = 0;
    const flush = () => {
      if (size === 0) return;
      const chunk = Buffer.concat(parts, size);
      parts = [];
      size = 0;
      // The engine's write counts the bytes into its offset: they were counted as they were gathered.
      engine.offset -= chunk.length;
      write.call(engine, chunk);
    };
    engine.write = (data: Buffer | string) => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      engine.offset += chunk.length;
      parts.push(chunk);
      size += chunk.length;
      if (size >= CENTRAL_DIRECTORY_CHUNK) flush();
      return true;
    };
    engine.end = () => {
      flush();
      engine.write = write;
      engine.end = end;
      end.call(engine);
    };
    finish.call(engine);
  };
};

/** A zip of stored (uncompressed: the variants are compressed images) entries whose central directory is gathered. */
export const archiveZip = (options: ArchiveZipOptions = {}): ZipArchive => {
  const zip = new ZipArchive({ zlib: { level: 0 }, store: true, forceZip64: options.forceZip64 === true });
  gatherCentralDirectory(zip);
  return zip;
};

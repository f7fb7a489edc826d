import { crc32 } from 'node:zlib';
import { ZipArchive } from 'archiver';

export interface ArchiveZipOptions {
  /** Zip64 records for every entry and the end of the archive, however small it is (readers must cope). */
  readonly forceZip64?: boolean;
}

/** Central-directory bytes gathered into one write. */
const CENTRAL_DIRECTORY_CHUNK = 64 * 1024;

/** The zip method of an entry stored as it is (compress-commons' METHOD_STORED). */
const METHOD_STORED = 0;

/** What archiver's zip engine (zip-stream's ZipArchiveOutputStream) holds of an entry. */
interface ZipEntry {
  getMethod(): number;
  setSize(size: number): void;
  setCompressedSize(size: number): void;
  setCrc(crc: number): void;
}

/** What this module reaches of archiver's zip engine (zip-stream's ZipArchiveOutputStream). */
interface ZipEngine {
  offset: number;
  write(chunk: Buffer | string): boolean;
  end(): void;
  _finish(): void;
  _appendBuffer(entry: ZipEntry, source: Buffer, callback: (error: Error | null, entry?: ZipEntry) => void): void;
  _writeLocalFileHeader(entry: ZipEntry): void;
  _afterAppend(entry: ZipEntry): void;
}

const engineOf = (zip: ZipArchive): ZipEngine => (zip as unknown as { _module: { engine: ZipEngine } })._module.engine;

/**
 * archiver's zip engine checksums a stored buffer with the crc-32 package, in JS: about 0.4 ms of CPU for a
 * variant of ~175 KB, where zlib's native crc32 (Node 20.15+) takes 0.05 ms. Here a stored buffer entry is
 * checksummed natively and written as the engine writes it (the same bytes: tests/augmenter/archiver.int.test.ts);
 * other entries (deflated, empty) go the engine's own way.
 */
const nativeCrcForStored = (zip: ZipArchive): void => {
  const engine = engineOf(zip);
  const appendBuffer = engine._appendBuffer;
  engine._appendBuffer = (entry, source, callback) => {
    if (source.length === 0 || entry.getMethod() !== METHOD_STORED) {
      appendBuffer.call(engine, entry, source, callback);
      return;
    }
    entry.setSize(source.length);
    entry.setCompressedSize(source.length);
    entry.setCrc(crc32(source));
    engine._writeLocalFileHeader(entry);
    engine.write(source);
    engine._afterAppend(entry);
    callback(null, entry);
  };
};

/**
 * archiver's zip engine writes the central directory in one synchronous loop of ~17 small writes per entry,
 * each queued in its stream with an object of its own: at 100,000 entries that queue (about 1.7 million
 * objects) exhausted the worker's heap once every entry was written, and the process died with a
 * half-written archive. Here the loop's writes are gathered into 64 KB chunks, so the central directory
 * costs its own bytes (about 100 per entry) and a few dozen queued writes.
 */
const gatherCentralDirectory = (zip: ZipArchive): void => {
  const engine = engineOf(zip);
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

/**
 * A zip of stored (uncompressed: the variants are compressed images) entries whose central directory is gathered
 * and whose buffers are checksummed natively.
 */
export const archiveZip = (options: ArchiveZipOptions = {}): ZipArchive => {
  const zip = new ZipArchive({ zlib: { level: 0 }, store: true, forceZip64: options.forceZip64 === true });
  gatherCentralDirectory(zip);
  nativeCrcForStored(zip);
  return zip;
};

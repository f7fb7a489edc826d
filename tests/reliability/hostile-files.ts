/** Hostile inputs, built in memory: mislabelled files, polyglots, decompression bombs, zip bombs and zip-slip. */
import { crc32, createDeflate, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';

/** Files that are not images, to be sent as `image/jpeg` with a `.jpg` name. */
export const NOT_IMAGES: Readonly<Record<string, Buffer>> = {
  svg: Buffer.from(
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
  ),
  html: Buffer.from('<!doctype html><html><body><script>fetch("/api/jobs")</script></body></html>'),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  'gif header then html': Buffer.from('GIF89a<script>alert(document.domain)</script>'),
  'jpeg magic then garbage': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('not really a jpeg')]),
};

/** A real image with an HTML page and a zip appended after its end (valid as both). */
export const polyglot = (image: Buffer): Buffer =>
  Buffer.concat([
    image,
    Buffer.from('<html><script>alert("polyglot")</script></html>'),
    zip([{ name: 'inner.txt', data: Buffer.from('hidden') }]),
  ]);

const pngChunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

/**
 * A valid 1-bit greyscale PNG of `side`×`side` black pixels: a real decompression bomb (20000² = 400
 * megapixels, 50 MB of scanlines) in about 50 KB, deflated as a stream so that building it stays small.
 */
export const pngBomb = async (side = 20_000): Promise<Buffer> => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8);
  const rowBytes = 1 + Math.ceil(side / 8);
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const rows = Buffer.alloc(rowBytes * 200);
  for (let written = 0; written < side; written += 200) {
    const n = Math.min(200, side - written);
    if (!deflate.write(rows.subarray(0, n * rowBytes))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.concat(out)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

const tiny = (format: 'jpeg' | 'webp' | 'gif') =>
  sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
    [format](format === 'webp' ? { lossless: true } : {})
    .toBuffer();

/** A small JPEG whose frame header claims 65000×65000 (4.2 gigapixels). */
export const jpegBomb = async (): Promise<Buffer> => {
  const data = Buffer.from(await tiny('jpeg'));
  let i = 2;
  while (i < data.length - 9 && !(data[i] === 0xff && (data[i + 1] ?? 0) >= 0xc0 && (data[i + 1] ?? 0) <= 0xc2)) i++;
  data.writeUInt16BE(65_000, i + 5);
  data.writeUInt16BE(65_000, i + 7);
  return data;
};

/** A small lossless WebP whose bitstream header claims 16383×16383 (268 megapixels). */
export const webpBomb = async (): Promise<Buffer> => {
  const data = Buffer.from(await tiny('webp'));
  if (data.subarray(12, 16).toString('latin1') !== 'VP8L') throw new Error('expected a VP8L WebP');
  const packed = (16_383 - 1) | ((16_383 - 1) << 14) | (data.readUInt32LE(21) & 0xf0000000);
  data.writeUInt32LE(packed >>> 0, 21);
  return data;
};

/** A small GIF whose screen and frame claim 65535×65535 (4.3 gigapixels). */
export const gifBomb = async (): Promise<Buffer> => {
  const data = Buffer.from(await tiny('gif'));
  data.writeUInt16LE(65_535, 6);
  data.writeUInt16LE(65_535, 8);
  let i = 13;
  while (i < data.length && data[i] !== 0x2c) i++;
  data.writeUInt16LE(65_535, i + 5);
  data.writeUInt16LE(65_535, i + 7);
  return data;
};

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  /** Stored (0) or deflated (8, the default). */
  readonly method?: 0 | 8;
  /** Uncompressed size written in the headers, when it should lie. */
  readonly declaredSize?: number;
}

/** A zip written byte by byte, so that entry names and sizes can be anything (zip-slip, lying headers). */
export const zip = (entries: readonly ZipEntry[]): Buffer => {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const method = entry.method ?? 8;
    const body = method === 8 ? deflateRawSync(entry.data) : entry.data;
    const name = Buffer.from(entry.name, 'utf8');
    const size = entry.declaredSize ?? entry.data.length;
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
};

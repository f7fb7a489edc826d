/** 128 random bits from the platform's CSPRNG (Web Crypto: Node and browsers), as unpadded base64url. */
const randomToken = (): string => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
};

/** Unguessable ids: 128 random bits, URL-safe. */
export const newId = (prefix: string): string => `${prefix}_${randomToken()}`;

const ID = /^[a-z]{1,3}_[A-Za-z0-9_-]{22}$/;
export const isId = (value: string): boolean => ID.test(value);

/** Longest file name kept, in UTF-8 bytes: far below the 255-byte limit of a file system's name with its temp suffix. */
export const MAX_NAME_BYTES = 120;

/** Longest extension kept whole when a name is cut (`.jpeg`, `.tiff`), in bytes, the dot included. */
const MAX_EXT_BYTES = 10;

const utf8Bytes = (codePoint: number): number =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;

/** The longest prefix of `text` within `max` UTF-8 bytes, cut between code points (never inside one). */
export const cutToBytes = (text: string, max: number): string => {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += utf8Bytes(char.codePointAt(0) ?? 0);
    if (bytes > max) break;
    end += char.length;
  }
  return text.slice(0, end);
};

/** UTF-8 length of a string without an encoder (core also runs in the browser). */
const utf8Length = (text: string): number => {
  let bytes = 0;
  for (const char of text) bytes += utf8Bytes(char.codePointAt(0) ?? 0);
  return bytes;
};

/**
 * A file name reduced to safe characters, never empty, never a path, at most {@link MAX_NAME_BYTES} UTF-8 bytes.
 * A longer name is cut between code points and keeps its extension: 130 × '漢' + '.png' stays a PNG name.
 */
export const sanitizeName = (name: string): string => {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  if (utf8Length(cleaned) <= MAX_NAME_BYTES) return cleaned || 'image';
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 && utf8Length(cleaned.slice(dot)) <= MAX_EXT_BYTES ? cleaned.slice(dot) : '';
  const stem = cutToBytes(cleaned.slice(0, ext ? dot : undefined), MAX_NAME_BYTES - utf8Length(ext)).trimEnd();
  return `${stem}${ext}` || 'image';
};

/** A class label from a dataset folder name. */
export const sanitizeLabel = (label: string): string => sanitizeName(label).replace(/\s+/g, '_');

/** Where things live in blob storage. Keys are deterministic so that redelivery overwrites, never duplicates. */
export const blobKeys = {
  source: (jobId: string, sourceId: string, name: string) => `sources/${jobId}/${sourceId}/${name}`,
  variant: (jobId: string, sourceId: string, index: number, ext: string) =>
    `results/${jobId}/${sourceId}/${String(index).padStart(4, '0')}.${ext}`,
  /** A labelled source's labels (ImageLabels JSON), written before the source so a worker always finds them. */
  sourceLabels: (jobId: string, sourceId: string) => `results/${jobId}/${sourceId}/source.labels.json`,
  /** One output's labels and what was dropped (JSON). */
  variantLabels: (jobId: string, sourceId: string, index: number) =>
    `results/${jobId}/${sourceId}/${String(index).padStart(4, '0')}.labels.json`,
  thumbnail: (jobId: string, sourceId: string) => `results/${jobId}/${sourceId}/thumb.webp`,
  archive: (jobId: string) => `results/${jobId}/archive.zip`,
  /** Every label item a labelled dataset skipped, when more than its spec lists (JSON). */
  datasetSkipped: (jobId: string) => `results/${jobId}/skipped.json`,
  jobPrefixes: (jobId: string) => [`sources/${jobId}/`, `results/${jobId}/`],
};

/** Parses `sources/{jobId}/{sourceId}/{name}`. */
export const parseSourceKey = (key: string): { jobId: string; sourceId: string; name: string } | undefined => {
  const [root, jobId, sourceId, ...rest] = key.split('/');
  if (root !== 'sources' || !jobId || !sourceId || rest.length !== 1 || !rest[0]) return undefined;
  return { jobId, sourceId, name: rest[0] };
};

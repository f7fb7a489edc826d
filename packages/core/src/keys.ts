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

/** A file name reduced to safe characters, never empty, never a path. */
export const sanitizeName = (name: string): string => {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 120)
    .trim();
  return cleaned || 'image';
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
  jobPrefixes: (jobId: string) => [`sources/${jobId}/`, `results/${jobId}/`],
};

/** Parses `sources/{jobId}/{sourceId}/{name}`. */
export const parseSourceKey = (key: string): { jobId: string; sourceId: string; name: string } | undefined => {
  const [root, jobId, sourceId, ...rest] = key.split('/');
  if (root !== 'sources' || !jobId || !sourceId || rest.length !== 1 || !rest[0]) return undefined;
  return { jobId, sourceId, name: rest[0] };
};

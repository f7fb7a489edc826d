import fc from 'fast-check';

/** Characters from several scripts and widths: 1 (ASCII), 2 (Latin, Cyrillic), 3 (CJK), 4 (emoji) UTF-8 bytes. */
const SCRIPT_CHARS = ['a', 'Z', '0', 'é', 'ж', 'ß', 'ع', '漢', 'あ', '한', '😀', '𝔸', 'ﬁ', 'Ⅻ'];

/** Characters a file system or a shell cares about, and controls. */
const HOSTILE_CHARS = [
  '/',
  '\\',
  '.',
  ' ',
  '\0',
  '\n',
  '\r',
  '\t',
  '\u202e',
  '\u200b',
  '\ufeff',
  ':',
  '*',
  '"',
  '%',
  '~',
];

/**
 * File names as a hostile or careless client sends them: long runs of multi-byte characters (lengths in
 * bytes, not characters), mixed scripts, control and bidi characters, path pieces, lone surrogates,
 * with and without an extension.
 */
export const hostileFileName: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom(...SCRIPT_CHARS, ...HOSTILE_CHARS), maxLength: 400 }),
  fc
    .tuple(
      fc.constantFrom(...SCRIPT_CHARS),
      fc.integer({ min: 1, max: 300 }),
      fc.constantFrom('', '.png', '.jpeg', '.JPG', '.tar.gz', '.', '..', '.verylongextension'),
    )
    .map(([char, n, ext]) => `${char.repeat(n)}${ext}`),
  fc
    .tuple(fc.constantFrom('../', '..\\', '/etc/', 'C:\\', './', '....//'), fc.string({ maxLength: 40 }))
    .map(([prefix, rest]) => `${prefix}${rest}`),
  fc.constantFrom('', '.', '..', '...', ' ', '.png', '\u0000.png', 'CON', 'nul.png'),
);

/** A multipart field value: numbers, JSON, nulls, huge and odd strings. */
const fieldValue = fc.oneof(
  fc.constantFrom('', 'null', 'undefined', '0', '-1', '1', '2', '1e309', 'NaN', '[]', '{}', 'true', '{"steps":[]}'),
  fc.string({ maxLength: 60 }),
  fc.integer().map(String),
);

const FIELD_NAMES = ['variants', 'tags', 'preset', 'pipeline', 'seed', 'format', 'split', 'bogus', 'file', ''];

/** One part of a multipart body: a field, or a file with some bytes (an image, junk, empty). */
export type HostilePart =
  | { readonly kind: 'field'; readonly name: string; readonly value: string }
  | {
      readonly kind: 'file';
      readonly name: string;
      readonly filename: string;
      readonly data: 'image' | 'junk' | 'empty';
    };

export const hostilePart: fc.Arbitrary<HostilePart> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), name: fc.constantFrom(...FIELD_NAMES), value: fieldValue }),
  fc.record({
    kind: fc.constant('file' as const),
    name: fc.constantFrom('file', 'file', 'upload', ''),
    filename: hostileFileName.map((n) => n.replace(/["\r\n\\]/g, '_')),
    data: fc.constantFrom('image' as const, 'junk' as const, 'empty' as const),
  }),
);

/** How the body around the parts is broken (or not). */
export type Framing = 'well-formed' | 'no-closing-boundary' | 'wrong-boundary' | 'truncated' | 'no-boundary-param';

export const framing: fc.Arbitrary<Framing> = fc.constantFrom(
  'well-formed',
  'well-formed',
  'no-closing-boundary',
  'wrong-boundary',
  'truncated',
  'no-boundary-param',
);

/** Builds the bytes and content type of a multipart body from generated parts. */
export const multipartOf = (
  parts: readonly HostilePart[],
  how: Framing,
  bytesOf: (data: 'image' | 'junk' | 'empty') => Buffer,
): { payload: Buffer; contentType: string } => {
  const boundary = 'hostile-boundary-7d1f';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if (part.kind === 'field') {
      chunks.push(
        Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`),
      );
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\ncontent-type: image/png\r\n\r\n`,
        ),
        bytesOf(part.data),
        Buffer.from('\r\n'),
      );
    }
  }
  if (how !== 'no-closing-boundary' && how !== 'truncated') chunks.push(Buffer.from(`--${boundary}--\r\n`));
  let payload = Buffer.concat(chunks);
  if (how === 'truncated') payload = payload.subarray(0, Math.floor(payload.length / 2));
  const contentType =
    how === 'no-boundary-param'
      ? 'multipart/form-data'
      : `multipart/form-data; boundary=${how === 'wrong-boundary' ? 'other' : boundary}`;
  return { payload, contentType };
};

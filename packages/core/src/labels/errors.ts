/** A label file that cannot be read: names the file and, where there is one, the line. */
export class LabelError extends Error {
  override readonly name = 'LabelError';
  readonly code = 'INVALID_LABELS';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line === undefined ? '' : ` line ${line}`}: ${reason}`);
  }
}

/** The 1-based line of a character offset in a text. */
export const lineAt = (text: string, offset: number): number => {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
};

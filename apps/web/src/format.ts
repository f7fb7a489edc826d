/** Formatting for people: sizes, times, counts. Pure. */

const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** 1536 → "1.5 KB". */
export const formatBytes = (bytes: number): string => {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
};

/** "just now", "5 min ago", "3 h ago", "2 days ago", else the date. */
export const formatAgo = (iso: string, now: number = Date.now()): string => {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return `${days} day${days === 1 ? '' : 's'} ago`;
  return new Date(at).toISOString().slice(0, 10);
};

/** Splits "cats, Dogs ,  ,birds" into ["cats", "dogs", "birds"], without duplicates. */
export const parseTags = (raw: string): string[] => [
  ...new Set(
    raw
      .split(',')
      .map((tag) => tag.trim().toLowerCase())
      .filter(Boolean),
  ),
];

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,39}$/u;

/** The first problem with a tag list, in the gateway's own terms; undefined when the list is fine. */
export const tagProblem = (tags: readonly string[]): string | undefined => {
  if (tags.length > 20) return `At most 20 tags (you entered ${tags.length}).`;
  const bad = tags.find((tag) => !TAG.test(tag));
  return bad === undefined
    ? undefined
    : `Tag "${bad.slice(0, 40)}" must be 1–40 letters, digits, spaces, "_", "." or "-", starting with a letter or digit.`;
};

import type { Fill } from './effects.js';

/** Parses '#rgb', '#rrggbb' or '#rrggbbaa' into RGBA 0–255. */
export function parseColour(hex: string): Fill {
  let digits = hex.slice(1);
  if (digits.length === 3) digits = [...digits].map((d) => d + d).join('');
  if (digits.length === 6) digits += 'ff';
  const n = (i: number): number => Number.parseInt(digits.slice(i, i + 2), 16);
  return [n(0), n(2), n(4), n(6)];
}

/** Formats RGBA as '#rrggbb' (or '#rrggbbaa' when not opaque). */
export function formatColour([r, g, b, a]: Fill): string {
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}${a === 255 ? '' : hex(a)}`;
}

/** A fill parameter resolved: 'auto' is black, or transparent when the image has alpha. */
export function resolveFill(value: string, hasAlpha: boolean): Fill {
  if (value === 'auto') return hasAlpha ? [0, 0, 0, 0] : [0, 0, 0, 255];
  return parseColour(value);
}

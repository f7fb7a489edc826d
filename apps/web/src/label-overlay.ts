/** Labels drawn over previews: boxes, polygons and keypoints as SVG markup (pure, so it is unit-tested). */

export interface OverlayObject {
  readonly category: number;
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly polygons?: readonly (readonly (readonly [number, number])[])[];
  readonly keypoints?: readonly { readonly x: number; readonly y: number; readonly v: number }[];
}

/** An output's labels as GET …/variants/:index/labels?format=json returns them. */
export interface OverlayLabels {
  readonly categories: readonly string[];
  readonly labels: { readonly width: number; readonly height: number; readonly objects: readonly OverlayObject[] };
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

/** A distinct hue per class (golden-angle steps). */
export const classColour = (category: number): string => `hsl(${Math.round((category * 137.508) % 360)} 90% 55%)`;

const n = (value: number): string => String(Math.round(value * 10) / 10);

/**
 * SVG markup for an output's labels in its own pixel space (viewBox = image size), so it lines up
 * with the image under the same `preserveAspectRatio` as the image's object-fit (`slice` for cover,
 * `meet` for contain).
 */
export const overlayMarkup = (overlay: OverlayLabels, fit: 'cover' | 'contain'): string => {
  const { width, height, objects } = overlay.labels;
  const stroke = Math.max(1, Math.round(Math.max(width, height) / 300));
  const parts = objects.map((o) => {
    const colour = classColour(o.category);
    const name = escapeXml(overlay.categories[o.category] ?? String(o.category));
    const { x, y, width: w, height: h } = o.box;
    const shapes = [
      `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      ...(o.polygons ?? []).map(
        (p) =>
          `<polygon points="${p.map(([px, py]) => `${n(px)},${n(py)}`).join(' ')}" fill="${colour}" fill-opacity="0.25" stroke="${colour}" stroke-width="${stroke}"/>`,
      ),
      ...(o.keypoints ?? [])
        .filter((k) => k.v > 0)
        .map(
          (k) =>
            `<circle cx="${n(k.x)}" cy="${n(k.y)}" r="${stroke * 2}" fill="${k.v === 2 ? colour : 'none'}" stroke="${colour}"/>`,
        ),
      `<text x="${n(x + stroke)}" y="${n(y + stroke * 9)}" fill="${colour}" font-size="${stroke * 9}">${name}</text>`,
    ];
    return `<g class="label" data-class="${name}"><title>${name}</title>${shapes.join('')}</g>`;
  });
  const aspect = fit === 'cover' ? 'xMidYMid slice' : 'xMidYMid meet';
  return `<svg class="label-overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" preserveAspectRatio="${aspect}" aria-hidden="true">${parts.join('')}</svg>`;
};

/** "magenta 4 → 7 · cyan 4 → 8": objects per class in the sources and in the outputs so far. */
export const classCountsText = (dataset: {
  readonly categories: readonly string[];
  readonly counts: { readonly before: readonly number[]; readonly after: readonly number[]; readonly dropped?: number };
}): string => {
  const classes = dataset.categories.map(
    (name, i) => `${name} ${dataset.counts.before[i] ?? 0} → ${dataset.counts.after[i] ?? 0}`,
  );
  const dropped = dataset.counts.dropped ? ` · ${dataset.counts.dropped} dropped` : '';
  return `${classes.join(' · ')}${dropped}`;
};

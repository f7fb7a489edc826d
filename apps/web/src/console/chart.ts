/** A small SVG line chart drawn by hand: no chart library, no network, readable at 375 px. */

const SVG = 'http://www.w3.org/2000/svg';

export interface Series {
  readonly label: string;
  /** A CSS class giving the line its colour (see styles.css `.series-*`). */
  readonly className: string;
  /** [x, y] points in data units, x ascending (epoch milliseconds for time charts). */
  readonly points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  readonly title: string;
  /** Formats a y value for the axis and the summary (e.g. '12', '3 s'). */
  readonly formatY?: (value: number) => string;
  /** Formats an x value for the axis (default: a clock time). */
  readonly formatX?: (value: number) => string;
  /** A horizontal line marking a threshold, drawn in the alert colour. */
  readonly threshold?: number;
  readonly width?: number;
  readonly height?: number;
}

const el = <K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] => {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
};

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** A "nice" upper bound for the y axis: 1, 2 or 5 times a power of ten, at least `max`. */
export const niceCeiling = (max: number): number => {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
};

/** The chart's text alternative: each series' latest and highest value. */
export const summarise = (series: readonly Series[], formatY: (v: number) => string): string =>
  series
    .map((s) => {
      if (s.points.length === 0) return `${s.label}: no data`;
      const latest = s.points.at(-1)?.[1] ?? 0;
      const peak = Math.max(...s.points.map((p) => p[1]));
      return `${s.label}: now ${formatY(latest)}, peak ${formatY(peak)}`;
    })
    .join('; ');

/** Draws the series as lines over a shared time axis, with a legend and a text summary for screen readers. */
export const lineChart = (series: readonly Series[], options: ChartOptions): SVGSVGElement => {
  const width = options.width ?? 600;
  const height = options.height ?? 180;
  const formatY = options.formatY ?? ((v: number) => String(Math.round(v * 100) / 100));
  const formatX = options.formatX ?? clock;
  const pad = { left: 44, right: 8, top: 10, bottom: 34 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMax = niceCeiling(Math.max(...ys, options.threshold ?? 0, 0));
  const x = (v: number) => pad.left + ((v - xMin) / (xMax - xMin || 1)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);

  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  const summary = `${options.title}. ${summarise(series, formatY)}`;
  svg.setAttribute('aria-label', summary);
  svg.append(el('title', {}, summary));
  for (const tick of [0, yMax / 2, yMax]) {
    svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'chart-grid' }));
    svg.append(
      el('text', { x: pad.left - 4, y: y(tick) + 4, class: 'chart-label', 'text-anchor': 'end' }, formatY(tick)),
    );
  }
  if (xs.length) {
    svg.append(el('text', { x: pad.left, y: height - pad.bottom + 14, class: 'chart-label' }, formatX(xMin)));
    svg.append(
      el(
        'text',
        { x: width - pad.right, y: height - pad.bottom + 14, class: 'chart-label', 'text-anchor': 'end' },
        formatX(xMax),
      ),
    );
  }
  if (options.threshold !== undefined) {
    const at = y(options.threshold);
    svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: at, y2: at, class: 'chart-threshold' }));
  }
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      svg.append(el('path', { d, class: `chart-line ${s.className}`, fill: 'none' }));
    }
    const lx = pad.left + i * 150;
    svg.append(el('rect', { x: lx, y: height - 12, width: 10, height: 10, class: `chart-swatch ${s.className}` }));
    svg.append(el('text', { x: lx + 14, y: height - 3, class: 'chart-label' }, s.label));
  });
  return svg;
};

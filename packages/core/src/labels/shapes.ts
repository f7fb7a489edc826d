import type { Box, Point } from './model.js';

/** Absolute area of a simple polygon (shoelace). */
export const polygonArea = (points: readonly Point[]): number => {
  let sum = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i] as Point;
    const [xj, yj] = points[j] as Point;
    sum += xj * yi - xi * yj;
  }
  return Math.abs(sum) / 2;
};

/** The smallest box holding every point, or undefined when there are none. */
export const boundsOf = (polygons: readonly (readonly Point[])[]): Box | undefined => {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const polygon of polygons) {
    for (const [x, y] of polygon) {
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x > x1) x1 = x;
      if (y > y1) y1 = y;
    }
  }
  return x0 <= x1 && y0 <= y1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
};

/** The four corners of a box, clockwise from the top-left. */
export const boxCorners = (box: Box): Point[] => [
  [box.x, box.y],
  [box.x + box.width, box.y],
  [box.x + box.width, box.y + box.height],
  [box.x, box.y + box.height],
];

/** Adds points along every edge so that no edge is longer than `step` (curved maps then bend it). */
export const densify = (points: readonly Point[], step: number): Point[] => {
  const out: Point[] = [];
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i] as Point;
    const [x1, y1] = points[(i + 1) % points.length] as Point;
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let k = 0; k < n; k++) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out;
};

/** Sutherland–Hodgman clip of a polygon to the rectangle [0, width] × [0, height]. */
export const clipPolygon = (points: readonly Point[], width: number, height: number): Point[] => {
  if (points.every(([x, y]) => x >= 0 && y >= 0 && x <= width && y <= height)) return [...points];
  type Edge = { inside: (p: Point) => boolean; cut: (a: Point, b: Point) => Point };
  const at = (a: Point, b: Point, t: number): Point => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  const edges: Edge[] = [
    { inside: (p) => p[0] >= 0, cut: (a, b) => at(a, b, a[0] / (a[0] - b[0])) },
    { inside: (p) => p[0] <= width, cut: (a, b) => at(a, b, (width - a[0]) / (b[0] - a[0])) },
    { inside: (p) => p[1] >= 0, cut: (a, b) => at(a, b, a[1] / (a[1] - b[1])) },
    { inside: (p) => p[1] <= height, cut: (a, b) => at(a, b, (height - a[1]) / (b[1] - a[1])) },
  ];
  let out: Point[] = [...points];
  for (const edge of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const current = input[i] as Point;
      const previous = input[(i + input.length - 1) % input.length] as Point;
      const inCurrent = edge.inside(current);
      if (inCurrent !== edge.inside(previous)) out.push(edge.cut(previous, current));
      if (inCurrent) out.push(current);
    }
    if (out.length === 0) return out;
  }
  return out;
};

/** The box clipped to [0, width] × [0, height], or undefined when nothing of it is left. */
export const clipBox = (box: Box, width: number, height: number): Box | undefined => {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.width);
  const y1 = Math.min(height, box.y + box.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
};

/** Intersection over union of two boxes. */
export const iou = (a: Box, b: Box): number => {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
};

/** Removes points that repeat their predecessor (clipping leaves some). */
export const dedupe = (points: readonly Point[]): Point[] =>
  points.filter((p, i) => {
    const q = points[(i + points.length - 1) % points.length] as Point;
    return points.length === 1 || Math.abs(p[0] - q[0]) > 1e-9 || Math.abs(p[1] - q[1]) > 1e-9;
  });

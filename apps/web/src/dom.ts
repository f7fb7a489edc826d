/** Tiny DOM helpers: build elements declaratively without a framework. */

type Attributes = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | number | false | null | undefined;

/**
 * Creates an element. Attributes set to `false`, `null` or `undefined` are left out, `true` sets an empty
 * attribute; properties starting with `on` are not supported on purpose (use addEventListener).
 */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
};

export const append = (parent: Node, ...children: Child[]): void => {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
};

/** The element with this id, typed; throws when the page lacks it (a build mistake, not a user error). */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
};

/** An inline SVG icon from a path (24x24 viewBox), hidden from assistive technology. */
export const icon = (path: string, className = 'icon'): SVGSVGElement => {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', className);
  const shape = document.createElementNS(ns, 'path');
  shape.setAttribute('d', path);
  svg.appendChild(shape);
  return svg;
};

export const ICONS = {
  upload: 'M12 3l5 5h-3v6h-4V8H7l5-5zM5 18h14v2H5z',
  download: 'M12 16l-5-5h3V4h4v7h3l-5 5zM5 18h14v2H5z',
  images: 'M4 5h16v14H4V5zm2 2v8l3.5-4 2.5 3 3.5-4.5L18 14V7H6z',
  trash: 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9z',
  close: 'M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z',
  prev: 'M15.4 5L8.4 12l7 7-1.4 1.4L5.6 12 14 3.6z',
  next: 'M8.6 5l7 7-7 7 1.4 1.4L18.4 12 10 3.6z',
} as const;

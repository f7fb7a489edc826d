import { parseColour } from './colour.js';
import { type Draw, draw, pixels, round4 } from './draw-params.js';
import { fog, rain, shadow, snow, sunFlare } from './pixels/weather.js';

/** Weather and lighting: fog, rain, snow, sun flare and shadow (pixels only; labels unchanged). */
export const WEATHER_DRAWERS: Readonly<Record<string, Draw>> = {
  fog(params, rng) {
    const density = draw(params.density, rng);
    const colour = params.colour as string;
    const [r, g, b] = parseColour(colour);
    const seed = rng.nextUint32();
    return {
      params: { density, colour, seed },
      effect: pixels((image, owned) => fog(image, density, [r, g, b], seed, owned)),
    };
  },
  rain(params, rng, canvas) {
    const count = draw(params.drops, rng, true);
    const length = Math.max(2, Math.round(draw(params.length, rng) * canvas.height));
    const slant = draw(params.slant, rng);
    const brightness = draw(params.brightness, rng);
    const seed = rng.nextUint32();
    return {
      params: { drops: count, length, slant, brightness, seed },
      effect: pixels((image, owned) => rain(image, count, length, slant, brightness, seed, owned)),
    };
  },
  snow(params, rng) {
    const count = draw(params.flakes, rng, true);
    const radius = draw(params.radius, rng);
    const seed = rng.nextUint32();
    return {
      params: { flakes: count, radius, seed },
      effect: pixels((image, owned) => snow(image, count, radius, seed, owned)),
    };
  },
  sunFlare(params, rng, canvas) {
    const { width: W, height: H } = canvas;
    // Somewhere in the upper half, where the sky usually is.
    const x = round4(rng.uniform(0, W));
    const y = round4(rng.uniform(0, H / 2));
    const radius = round4(draw(params.radius, rng) * Math.min(W, H));
    const intensity = draw(params.intensity, rng);
    return {
      params: { x, y, radius, intensity },
      effect: pixels((image, owned) => sunFlare(image, x, y, radius, intensity, owned)),
    };
  },
  shadow(params, rng, canvas) {
    const { width: W, height: H } = canvas;
    const corners = draw(params.vertices, rng, true);
    // A convex-ish blob: vertices around a random centre at random radii, in angle order.
    const cx = rng.uniform(0, W);
    const cy = rng.uniform(0, H);
    const size = draw(params.size, rng) * Math.min(W, H);
    const start = rng.uniform(0, 2 * Math.PI);
    const polygon: [number, number][] = [];
    for (let k = 0; k < corners; k++) {
      const a = start + (2 * Math.PI * k) / corners;
      const r = size * rng.uniform(0.5, 1);
      polygon.push([Math.round(cx + r * Math.cos(a)), Math.round(cy + r * Math.sin(a))]);
    }
    const intensity = draw(params.intensity, rng);
    return {
      params: { polygon, intensity },
      effect: pixels((image, owned) => shadow(image, polygon, intensity, owned)),
    };
  },
};

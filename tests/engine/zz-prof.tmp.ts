import { readdirSync, readFileSync } from 'node:fs';
import { decodeSource, renderVariant, resolvePipeline } from '../../packages/augmenter/src/engine/index.js';

const p = resolvePipeline({ seed: 42 });
const files = readdirSync('/work/shared/images').map((f) => `/work/shared/images/${f}`);
const c0 = process.cpuUsage();
let n = 0;
for (const f of files) {
  const s = await decodeSource(readFileSync(f), { maxPixels: 40e6, maxInputBytes: 50e6 });
  for (let i = 0; i < 20; i++) {
    await renderVariant(s, p, i);
    n++;
  }
}
const c = process.cpuUsage(c0);
console.log(
  'variants',
  n,
  'cpu ms/variant',
  ((c.user + c.system) / 1000 / n).toFixed(2),
  'user',
  (c.user / 1000 / n).toFixed(2),
  'sys',
  (c.system / 1000 / n).toFixed(2),
);

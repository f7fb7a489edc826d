#!/usr/bin/env node
// Builds the web pages: bundles apps/web/src/main.ts into apps/web/dist/app.js and the operator console
// (apps/web/src/console/main.ts) into console.js with esbuild, and copies the HTML and CSS beside them. Offline, deterministic (same input, same bytes), well under a second.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps', 'web');
const src = join(web, 'src');
const dist = join(web, 'dist');

const started = performance.now();
// Files are overwritten in place (a running server keeps serving), then anything stale is removed.
await mkdir(dist, { recursive: true });
const result = await build({
  entryPoints: [
    { in: join(src, 'main.ts'), out: 'app' },
    { in: join(src, 'console', 'main.ts'), out: 'console' },
  ],
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  metafile: true,
});
const copied = ['index.html', 'styles.css', 'console.html', 'console.css'];
await Promise.all(copied.map((name) => copyFile(join(src, name), join(dist, name))));
// The operation picker's thumbnails: the gallery pictures (npm run gallery) the page names.
const thumbnails = join(root, 'docs', 'operations');
await mkdir(join(dist, 'operations'), { recursive: true });
const pictures = (await readdir(thumbnails)).filter((name) => name.endsWith('.webp'));
await Promise.all(pictures.map((name) => copyFile(join(thumbnails, name), join(dist, 'operations', name))));
const produced = new Set([...copied, 'app.js', 'app.js.map', 'console.js', 'console.js.map', 'operations']);
for (const name of await readdir(dist)) {
  if (!produced.has(name)) await rm(join(dist, name), { recursive: true, force: true });
}
const bytes = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith('app.js'))?.[1].bytes ?? 0;
console.log(
  `web built into ${dist} (${(bytes / 1024).toFixed(1)} KiB js) in ${Math.round(performance.now() - started)} ms`,
);

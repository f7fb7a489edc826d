#!/usr/bin/env node
// Builds the web page: bundles packages/gateway/web/src/main.ts into web/dist/app.js with esbuild and copies
// index.html and styles.css beside it. Offline, deterministic (same input, same bytes), well under a second.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'packages', 'gateway', 'web');
const src = join(web, 'src');
const dist = join(web, 'dist');

const started = performance.now();
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await build({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(dist, 'app.js'),
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
await Promise.all(['index.html', 'styles.css'].map((name) => copyFile(join(src, name), join(dist, name))));
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`web built into ${dist} (${(bytes / 1024).toFixed(1)} KiB js) in ${Math.round(performance.now() - started)} ms`);

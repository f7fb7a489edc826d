import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundleLambda, installSharp, repoRoot, sharpInstallArgs, sharpVersion } from '../../infra/lambda-package.js';

describe('the Lambda bundle', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'da-lambda-bundle-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when a TypeScript handler imports sharp and a CommonJS module using require', () => {
    it('bundles one ESM file that loads sharp from node_modules beside it and runs', async () => {
      // Prepare: a handler, a CommonJS dependency, and sharp installed next to the bundle.
      const src = join(dir, 'src');
      await mkdir(src);
      await writeFile(
        join(src, 'helper.cjs'),
        "const path = require('node:path');\nmodule.exports = { extension: (file) => path.extname(file) };\n",
      );
      await writeFile(
        join(src, 'lambda.ts'),
        [
          "import sharp from 'sharp';",
          "import helper from './helper.cjs';",
          'export const handler = async (event: { Records: { body: string }[] }) => {',
          "  const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#0a0' } }).png().toBuffer();",
          '  const meta = await sharp(png).metadata();',
          '  return { batchItemFailures: [], size: [meta.width, meta.height], ext: helper.extension(event.Records[0]?.body ?? "") };',
          '};',
        ].join('\n'),
      );
      const out = join(dir, 'task');
      await mkdir(join(dir, 'node_modules'));
      await symlink(join(repoRoot, 'node_modules/sharp'), join(dir, 'node_modules/sharp'), 'dir');

      // Act
      const outfile = await bundleLambda({ entry: join(src, 'lambda.ts'), outDir: out });
      const { handler } = (await import(pathToFileURL(outfile).href)) as {
        handler: (event: unknown) => Promise<{ batchItemFailures: unknown[]; size: number[]; ext: string }>;
      };
      const result = await handler({ Records: [{ body: 'photo.jpeg' }] });

      // Assess
      assert.equal(outfile, join(out, 'index.mjs'));
      const code = await readFile(outfile, 'utf8');
      assert.match(code, /from "sharp"/, 'sharp stays an external import');
      assert.doesNotMatch(code, /libvips/, 'no sharp internals are bundled');
      assert.deepEqual(result, { batchItemFailures: [], size: [3, 2], ext: '.jpeg' });
      await readFile(join(out, 'index.mjs.map'), 'utf8');
    });
  });
});

describe('sharp for Lambda', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'da-sharp-layer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is installed with npm for Linux glibc on the Lambda CPU', () => {
    assert.deepEqual(sharpInstallArgs('arm64').slice(-3), ['--os=linux', '--cpu=arm64', '--libc=glibc']);
    assert.deepEqual(sharpInstallArgs('x86_64').slice(-3), ['--os=linux', '--cpu=x64', '--libc=glibc']);
  });

  it('pins the version the repo tests against', async () => {
    const version = await sharpVersion();
    const manifest = JSON.parse(await readFile(join(repoRoot, 'node_modules/sharp/package.json'), 'utf8'));
    assert.equal(version, manifest.version);
  });

  describe('when installed twice for the same version and architecture', () => {
    it('runs npm once and reuses the install', async () => {
      // Prepare: an npm that records its calls and creates the tree it would install.
      const calls: { args: readonly string[]; manifest: unknown }[] = [];
      const npm = async (args: readonly string[], cwd: string) => {
        calls.push({ args, manifest: JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) });
        await mkdir(join(cwd, 'node_modules/sharp'), { recursive: true });
      };
      const target = join(dir, 'sharp-arm64');

      // Act
      const first = await installSharp({ architecture: 'arm64', version: '0.35.5', dir: target, npm });
      const second = await installSharp({ architecture: 'arm64', version: '0.35.5', dir: target, npm });
      await installSharp({ architecture: 'arm64', version: '0.35.6', dir: target, npm });

      // Assess
      assert.equal(first, join(target, 'node_modules'));
      assert.equal(second, first);
      assert.deepEqual(
        calls.map((c) => c.manifest),
        [
          { private: true, dependencies: { sharp: '0.35.5' } },
          { private: true, dependencies: { sharp: '0.35.6' } },
        ],
      );
      assert.deepEqual(calls[0]?.args, sharpInstallArgs('arm64'));
    });
  });
});

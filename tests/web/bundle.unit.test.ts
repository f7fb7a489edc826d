import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '../..');

/** The page's bundle as scripts/build-web.mjs makes it, in memory: its size and the inputs that reach it. */
const bundle = async (entry: string) => {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const [output] = Object.values(result.metafile.outputs);
  assert.ok(output);
  const used = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0);
  return { bytes: output.bytes, inputs: used.map(([path]) => path) };
};

describe('the web page bundle', () => {
  it('takes from the core only the job fold it uses, not the pipeline, label parsers or their libraries', async () => {
    // Act
    const { bytes, inputs } = await bundle('apps/web/src/main.ts');
    // Assess
    const core = inputs.filter((path) => path.startsWith('packages/core/'));
    assert.ok(core.length > 0, 'the page folds events with the core');
    assert.deepEqual(
      core.filter((path) => !path.startsWith('packages/core/src/jobs/')),
      [],
      'only packages/core/src/jobs reaches the page',
    );
    assert.deepEqual(
      inputs.filter((path) => path.includes('node_modules/')),
      [],
      'no library (yaml, fast-xml-parser) reaches the page',
    );
    assert.ok(bytes < 80 * 1024, `app.js is ${(bytes / 1024).toFixed(1)} KiB`);
  });
});

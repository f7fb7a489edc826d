/**
 * Builds the augmenter's Lambda package into a directory, outside Pulumi: for CI (then
 * `pulumi config set augmenterPackage <dir>`) or for deploying the function to LocalStack.
 *
 *   node --import tsx infra/build-augmenter.ts [arm64|x86_64] [out-dir]
 *
 * Defaults: arm64, `infra/.build/augmenter-package-<arch>`. Zip the directory's contents to upload
 * it by hand (`cd <out-dir> && zip -qr ../augmenter.zip .`).
 */
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { augmenterEntry, buildDir, bundleLambda, installSharp, sharpVersion } from './lambda-package.js';
import type { Architecture } from './settings.js';

const [arch = 'arm64', out] = process.argv.slice(2);
if (arch !== 'arm64' && arch !== 'x86_64') {
  process.stderr.write(`architecture must be arm64 or x86_64, got ${arch}\n`);
  process.exit(2);
}
const architecture: Architecture = arch;
const outDir = resolve(out ?? join(buildDir, `augmenter-package-${architecture}`));
await rm(outDir, { recursive: true, force: true });
await bundleLambda({ entry: augmenterEntry, outDir });
const version = await sharpVersion();
const nodeModules = await installSharp({
  architecture,
  version,
  dir: join(buildDir, `sharp-${version}-linux-${architecture}`),
});
await cp(nodeModules, join(outDir, 'node_modules'), { recursive: true });
process.stdout.write(`augmenter package (sharp ${version}, linux-${architecture}) in ${outDir}\n`);

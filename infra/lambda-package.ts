import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as pulumi from '@pulumi/pulumi';
import { NODE_MAJOR } from './runtime.js';
import type { Architecture } from './settings.js';

/** The monorepo root (infra/ sits directly under it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The augmenter's Lambda entry: exports `handler(event: SQSEvent): Promise<SQSBatchResponse>`. */
export const augmenterEntry = join(repoRoot, 'packages/augmenter/src/lambda.ts');

/** Where bundles and the per-architecture sharp install are cached (git-ignored). */
export const buildDir = join(repoRoot, 'infra/.build');

/**
 * Lets CommonJS dependencies bundled into the ESM output call `require` (esbuild's `__require`
 * shim delegates to it) for Node built-ins and the external `sharp`.
 */
const REQUIRE_SHIM =
  "import { createRequire as __daCreateRequire } from 'node:module';\nconst require = __daCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** TypeScript or JavaScript module exporting `handler`. */
  readonly entry: string;
  /** Receives `index.mjs` and `index.mjs.map`. */
  readonly outDir: string;
}

/**
 * Bundles a Lambda handler with esbuild into one ESM file, `index.mjs` (handler `index.handler`),
 * with a source map. `sharp` stays external: its native binaries are installed next to the bundle
 * for the Lambda's architecture (see {@link installSharp}). The AWS SDK is bundled rather than taken
 * from the runtime, so the deployed code runs the SDK version the tests ran.
 */
export const bundleLambda = async ({ entry, outDir }: BundleOptions): Promise<string> => {
  const { build } = await import('esbuild');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: `node${NODE_MAJOR}`,
    format: 'esm',
    mainFields: ['module', 'main'],
    external: ['sharp'],
    banner: { js: REQUIRE_SHIM },
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
};

/** The sharp version the repo installs (and tests against). */
export const sharpVersion = async (): Promise<string> => {
  // sharp's exports hide package.json: resolve its entry (dist/index.cjs) and walk up.
  const manifest = join(dirname(createRequire(import.meta.url).resolve('sharp')), '..', 'package.json');
  return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
};

export interface SharpInstallOptions {
  readonly architecture: Architecture;
  readonly version: string;
  /** Directory that receives `node_modules/` (created). */
  readonly dir: string;
  /** Runs npm; injectable for tests. */
  readonly npm?: (args: readonly string[], cwd: string) => Promise<void>;
}

const runNpm = async (args: readonly string[], cwd: string): Promise<void> => {
  await promisify(execFile)('npm', [...args], { cwd, env: { ...process.env, npm_config_workspaces: 'false' } });
};

/** The npm arguments that install sharp's prebuilt binaries for Lambda's Linux (glibc) and a CPU. */
export const sharpInstallArgs = (architecture: Architecture): string[] => [
  'install',
  '--omit=dev',
  '--no-package-lock',
  '--no-audit',
  '--no-fund',
  '--os=linux',
  `--cpu=${architecture === 'arm64' ? 'arm64' : 'x64'}`,
  '--libc=glibc',
];

/**
 * Installs sharp (with `@img/sharp-linux-<cpu>` and its libvips) for Linux glibc and the given
 * architecture into `dir/node_modules`, with npm's `--os/--cpu/--libc` flags, once per version and
 * architecture (a marker file records the install). Needs the npm registry (or npm's cache).
 */
export const installSharp = async ({
  architecture,
  version,
  dir,
  npm = runNpm,
}: SharpInstallOptions): Promise<string> => {
  const marker = join(dir, '.installed');
  const nodeModules = join(dir, 'node_modules');
  const wanted = `${version} linux-${architecture}`;
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === wanted) return nodeModules;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { sharp: version } }));
  await npm(sharpInstallArgs(architecture), dir);
  await writeFile(marker, wanted);
  return nodeModules;
};

/**
 * The augmenter's deployment package: the esbuild bundle plus `node_modules/` holding sharp for
 * Linux on the Lambda's architecture, so the ESM `import 'sharp'` resolves from `/var/task`.
 * Built when Pulumi first needs the archive; `pulumi up` therefore needs esbuild (a dev dependency)
 * and npm registry access the first time per sharp version and architecture.
 */
export const augmenterPackage = async (architecture: Architecture): Promise<pulumi.asset.AssetArchive> => {
  const bundleDir = join(buildDir, 'augmenter');
  await bundleLambda({ entry: augmenterEntry, outDir: bundleDir });
  const version = await sharpVersion();
  const nodeModules = await installSharp({
    architecture,
    version,
    dir: join(buildDir, `sharp-${version}-linux-${architecture}`),
  });
  return new pulumi.asset.AssetArchive({
    'index.mjs': new pulumi.asset.FileAsset(join(bundleDir, 'index.mjs')),
    'index.mjs.map': new pulumi.asset.FileAsset(join(bundleDir, 'index.mjs.map')),
    node_modules: new pulumi.asset.FileArchive(nodeModules),
  });
};

/** Produces the augmenter's code archive for an architecture. Tests inject a stub. */
export type LambdaCodeFactory = (architecture: Architecture) => pulumi.Input<pulumi.asset.Archive>;

/**
 * The default code factory: a prebuilt package when the `augmenterPackage` setting names one
 * (a directory or a .zip, e.g. built by CI), otherwise {@link augmenterPackage}.
 */
export const lambdaCode =
  (prebuilt?: string): LambdaCodeFactory =>
  (architecture) =>
    prebuilt ? new pulumi.asset.FileArchive(resolve(repoRoot, prebuilt)) : augmenterPackage(architecture);

/**
 * Builds the deployable artifact of the current commit in one step: the gateway tarball (the
 * repository at HEAD with production `node_modules` and the built web page) and the Lambda package
 * (the augmenter/archiver bundle with sharp for Linux), plus a manifest with the commit and the
 * tarball's SHA-256. `pulumi config set artifactDir <out-dir>` then deploys exactly these bytes: the
 * instances copy the tarball from S3 and verify it, the functions run the package. Run it in CI on a
 * runner of the instances' OS and CPU (Linux arm64 for the default Graviton instances), since
 * `npm ci` installs native modules (better-sqlite3, sharp) for the machine it runs on.
 *
 *   node --import tsx infra/build-artifact.ts [arm64|x86_64] [out-dir]
 *
 * Refuses a dirty working tree: the artifact must be the commit it names.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type ArtifactManifest, gatewayArtifactKey, MANIFEST_FILE, sha256Of } from './artifact.js';
import { buildDir, bundleLambda, installSharp, repoRoot, sharpVersion } from './lambda-package.js';
import type { Architecture } from './settings.js';

const run = async (command: string, args: string[], cwd: string): Promise<string> =>
  (await promisify(execFile)(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

const [arch = 'arm64', out] = process.argv.slice(2);
if (arch !== 'arm64' && arch !== 'x86_64') {
  process.stderr.write(`architecture must be arm64 or x86_64, got ${arch}\n`);
  process.exit(2);
}
const architecture: Architecture = arch;
if ((await run('git', ['status', '--porcelain'], repoRoot)) !== '') {
  process.stderr.write('the working tree has uncommitted changes: commit them first, the artifact names a commit\n');
  process.exit(1);
}
const commit = await run('git', ['rev-parse', 'HEAD'], repoRoot);
const outDir = resolve(out ?? join(buildDir, 'artifacts', commit));
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

// The gateway: the commit's files, production dependencies, the web page.
const staging = await mkdtemp(join(tmpdir(), 'delta-augment-artifact-'));
await run('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${staging}"`], repoRoot);
await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], staging);
await run('npm', ['run', 'build'], staging);
const tarball = `gateway-${commit}.tgz`;
await run('tar', ['-czf', join(outDir, tarball), '-C', staging, '.'], repoRoot);

// The Lambda package, from the same files.
const lambdaDir = join(outDir, 'lambda');
await bundleLambda({ entry: join(staging, 'packages/augmenter/src/lambda.ts'), outDir: lambdaDir });
const version = await sharpVersion();
const nodeModules = await installSharp({
  architecture,
  version,
  dir: join(buildDir, `sharp-${version}-linux-${architecture}`),
});
await cp(nodeModules, join(lambdaDir, 'node_modules'), { recursive: true });
await rm(staging, { recursive: true, force: true });

const manifest: ArtifactManifest = {
  commit,
  gateway: { file: tarball, sha256: sha256Of(join(outDir, tarball)) },
  lambda: { dir: 'lambda', architecture },
};
await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(
  `artifact of ${commit} in ${outDir}: ${tarball} (s3 key ${gatewayArtifactKey(commit)}) and lambda/ (sharp ${version}, linux-${architecture})\n`,
);

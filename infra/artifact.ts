import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InfraConfigError } from './errors.js';

/** What one build step produces for one commit: the gateway tarball and the Lambda package. */
export interface AppArtifact {
  /** The git commit both were built from (40 hex digits). */
  readonly commit: string;
  /** Path of `gateway-<commit>.tgz`: the repository at the commit with production `node_modules` and the built web page. */
  readonly gatewayTarball: string;
  readonly gatewaySha256: string;
  /** Directory of the Lambda package (`index.mjs` + `node_modules/sharp` for Linux), the augmenter's and archiver's code. */
  readonly lambdaPackage: string;
}

/** The manifest `infra/build-artifact.ts` writes next to the two outputs. */
export interface ArtifactManifest {
  readonly commit: string;
  readonly gateway: { readonly file: string; readonly sha256: string };
  readonly lambda: { readonly dir: string; readonly architecture: string };
}

export const MANIFEST_FILE = 'manifest.json';

export const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The S3 key of a commit's gateway tarball in the artifacts bucket. */
export const gatewayArtifactKey = (commit: string): string => `gateway/${commit}.tgz`;

/**
 * Reads a built artifact (`artifactDir` setting) and checks that the tarball is the one the manifest
 * names, so that what `pulumi up` uploads and pins in the boot script is what the build produced.
 */
export const readArtifact = (dir: string): AppArtifact => {
  const root = resolve(dir);
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as ArtifactManifest;
  } catch (error) {
    throw new InfraConfigError(
      'artifactDir',
      `no ${MANIFEST_FILE} in ${root} (${(error as Error).message}): build it with node --import tsx infra/build-artifact.ts`,
    );
  }
  if (!/^[0-9a-f]{40}$/.test(manifest.commit)) {
    throw new InfraConfigError('artifactDir', `the manifest's commit is not a git SHA: ${manifest.commit}`);
  }
  const gatewayTarball = join(root, manifest.gateway.file);
  const actual = sha256Of(gatewayTarball);
  if (actual !== manifest.gateway.sha256) {
    throw new InfraConfigError(
      'artifactDir',
      `${manifest.gateway.file} has SHA-256 ${actual}, the manifest says ${manifest.gateway.sha256}`,
    );
  }
  return {
    commit: manifest.commit,
    gatewayTarball,
    gatewaySha256: actual,
    lambdaPackage: join(root, manifest.lambda.dir),
  };
};

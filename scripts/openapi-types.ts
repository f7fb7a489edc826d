import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@delta-augment/gateway';
import { loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import type {} from '@fastify/swagger';
import openapiTS, { astToString } from 'openapi-typescript';

const HEADER = `/**
 * Generated from the gateway's OpenAPI document by scripts/gen-client.ts (openapi-typescript).
 * Do not edit: run \`npm run gen:client\`. A test fails when this file and the document differ.
 */
`;

/** The gateway's OpenAPI document, from an app built with the default configuration (never listening). */
export const openApiDocument = async (): Promise<Record<string, unknown>> => {
  const dataDir = join(tmpdir(), `delta-openapi-${process.pid}-${Date.now()}`);
  const config = loadConfig({ DATA_DIR: dataDir, SIGNING_SECRET: 'openapi-document' });
  const ports = localPorts({ ...config, signedUrlBase: 'http://127.0.0.1/blobs' });
  const { app } = await buildApp({ config, ports, webRoot: '/nonexistent' });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await ports.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

/** The TypeScript source openapi-typescript makes of the document (paths, components, operations). */
export const openApiTypes = async (): Promise<string> => {
  const ast = await openapiTS(JSON.parse(JSON.stringify(await openApiDocument())));
  return `${HEADER}${astToString(ast)}`;
};

import { createLocalWorkerPool, type WorkerPool } from '@delta-augment/augmenter';
import type { Clock } from '@delta-augment/core';
import { expandDataset } from '@delta-augment/datasets';
import { buildApp } from '@delta-augment/gateway';
import { type Config, JobService, loadConfig } from '@delta-augment/ports';
import { type LocalPorts, localPorts } from '@delta-augment/ports/local';
import type { FastifyInstance } from 'fastify';
import { tempDir } from './server.js';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly ports: LocalPorts;
  readonly config: Config;
  readonly pool?: WorkerPool;
  close(): Promise<void>;
}

/** The gateway on fresh local adapters in a temp dir, optionally with an in-process worker pool. */
export const testApp = async (
  options: { env?: Record<string, string>; workers?: boolean; clock?: Clock } = {},
): Promise<TestApp> => {
  const config = loadConfig({ DATA_DIR: tempDir(), SIGNING_SECRET: 'test-signing-secret', ...options.env });
  const ports = localPorts({ ...config, signedUrlBase: 'http://127.0.0.1:9/blobs' }, options.clock);
  const { app } = await buildApp({ config, ports, clock: options.clock, webRoot: '/nonexistent' });
  const jobs = new JobService(ports.events, ports.bus);
  const pool = options.workers
    ? createLocalWorkerPool(config, ports, undefined, jobs, {
        expandDataset: (jobId) => expandDataset({ jobs, blobs: ports.blobs, config }, jobId),
      })
    : undefined;
  pool?.start();
  return {
    app,
    ports,
    config,
    pool,
    close: async () => {
      await pool?.stop(5000);
      await app.close();
      await ports.close();
    },
  };
};

/** A multipart body for app.inject. */
export const multipartBody = (
  files: { name: string; data: Buffer; type?: string; field?: string }[],
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } => {
  const boundary = `----delta${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\ncontent-type: ${file.type ?? 'image/jpeg'}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
};

import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { tempDir } from './temp-dir.js';

/** s3rver checks SigV4 signatures against this fixed key pair. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3rverHandle {
  readonly endpoint: string;
  readonly credentials: typeof CREDENTIALS;
  /** A client of the emulator, configured as `awsClients` configures one for an endpoint override. */
  client(): S3Client;
  /** Two new, empty buckets (source and result) with names no other test uses. */
  freshBuckets(): Promise<{ source: string; result: string }>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 at a random port, storing objects in a fresh temp directory. */
export const startS3rver = async (): Promise<S3rverHandle> => {
  const { dir, remove } = await tempDir('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const admin = client();
  return {
    endpoint,
    credentials: CREDENTIALS,
    client,
    freshBuckets: async () => {
      const id = randomUUID().slice(0, 8);
      const buckets = { source: `src-${id}`, result: `res-${id}` };
      for (const Bucket of Object.values(buckets)) await admin.send(new CreateBucketCommand({ Bucket }));
      return buckets;
    },
    close: async () => {
      admin.destroy();
      await server.close();
      await remove();
    },
  };
};

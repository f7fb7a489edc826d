// Minimal typings of s3rver, the npm S3 emulator the AWS contract tests run against (it ships none; dynalite's
// are in apps/aws-emulated/src/dynalite-module.d.ts).

declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, policyDocument } from './iam.js';

export interface StorageArgs {
  /** Days before sources and results expire. */
  readonly retentionDays: number;
}

/**
 * The three private buckets: `sources` (uploads under `sources/`, whose ObjectCreated events feed the
 * upload queue), `results` (variants and archives under `results/`) and `assets` (the web page,
 * served by CloudFront). Every bucket blocks public access, enforces bucket-owner object ownership
 * and encrypts at rest (SSE-S3: S3 event notifications to SQS keep working without KMS grants).
 * Sources and results expire after `retentionDays`. `pulumi destroy` empties them (`forceDestroy`).
 */
export class Storage extends pulumi.ComponentResource {
  readonly sources: aws.s3.Bucket;
  readonly results: aws.s3.Bucket;
  readonly assets: aws.s3.Bucket;
  /** Each bucket's public access block; bucket policies wait for it (S3 rejects concurrent bucket edits). */
  readonly accessBlocks: Readonly<Record<'sources' | 'results' | 'assets', aws.s3.BucketPublicAccessBlock>>;

  private readonly name: string;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:storage:Storage', name, {}, opts);
    this.name = name;
    const [sources, sourcesBlock] = this.privateBucket(`${name}-sources`);
    const [results, resultsBlock] = this.privateBucket(`${name}-results`);
    const [assets, assetsBlock] = this.privateBucket(`${name}-assets`);
    this.sources = sources;
    this.results = results;
    this.assets = assets;
    this.accessBlocks = { sources: sourcesBlock, results: resultsBlock, assets: assetsBlock };

    for (const [bucket, kind] of [
      [this.sources, 'sources'],
      [this.results, 'results'],
    ] as const) {
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-${kind}-expiry`,
        {
          bucket: bucket.bucket,
          rules: [
            {
              id: 'expire-after-retention',
              status: 'Enabled',
              filter: { prefix: `${kind}/` },
              expiration: { days: args.retentionDays },
              abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
          ],
        },
        { parent: this },
      );
      // The assets bucket's policy (TLS only + CloudFront read) is written by the CDN component:
      // a bucket holds one policy.
      new aws.s3.BucketPolicy(
        `${name}-${kind}-policy`,
        { bucket: bucket.bucket, policy: policyDocument([denyInsecureTransport(bucket.arn)]) },
        { parent: this, dependsOn: [this.accessBlocks[kind]] },
      );
    }

    this.registerOutputs({
      sourcesBucket: this.sources.bucket,
      resultsBucket: this.results.bucket,
      assetsBucket: this.assets.bucket,
    });
  }

  /**
   * Lets browsers on `origins` PUT sources and GET results with signed URLs (CORS). Called once the
   * CDN exists, whose own origin is always among them; a wildcard origin is never declared.
   */
  allowSignedUrlsFrom(origins: pulumi.Input<pulumi.Input<string>[]>): void {
    new aws.s3.BucketCorsConfiguration(
      `${this.name}-sources-cors`,
      {
        bucket: this.sources.bucket,
        corsRules: [
          {
            allowedMethods: ['PUT'],
            allowedOrigins: origins,
            allowedHeaders: ['content-type', 'content-length', 'x-amz-*'],
            exposeHeaders: ['etag'],
            maxAgeSeconds: 3600,
          },
        ],
      },
      { parent: this },
    );
    new aws.s3.BucketCorsConfiguration(
      `${this.name}-results-cors`,
      {
        bucket: this.results.bucket,
        corsRules: [
          {
            allowedMethods: ['GET', 'HEAD'],
            allowedOrigins: origins,
            allowedHeaders: ['range', 'if-none-match'],
            maxAgeSeconds: 3600,
          },
        ],
      },
      { parent: this },
    );
  }

  private privateBucket(name: string): [aws.s3.Bucket, aws.s3.BucketPublicAccessBlock] {
    const bucket = new aws.s3.Bucket(name, { forceDestroy: true }, { parent: this });
    const block = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      { parent: this, dependsOn: [block] },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.bucket,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
      },
      { parent: this, dependsOn: [block] },
    );
    return [bucket, block];
  }
}

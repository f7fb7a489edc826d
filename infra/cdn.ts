import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, policyDocument } from './iam.js';

/** AWS managed CloudFront policies (stable ids, the same in every account). */
const MANAGED = {
  cachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
} as const;

/** Paths CloudFront passes to the gateway (uncached); everything else is a static asset from S3. */
export const GATEWAY_PATHS = ['/api/*', '/ws', '/healthz', '/readyz', '/docs*'] as const;

export interface CdnArgs {
  readonly assetsBucket: aws.s3.Bucket;
  /** The bucket's public access block: its policy waits for it. */
  readonly assetsAccessBlock: aws.s3.BucketPublicAccessBlock;
  /** The load balancer's DNS name, origin of {@link GATEWAY_PATHS}. */
  readonly gatewayDomain: pulumi.Input<string>;
}

/**
 * CloudFront in front of the private assets bucket, read through Origin Access Control (SigV4
 * signed requests; the bucket policy admits the CloudFront service for this distribution only, by
 * AWS:SourceArn). The API, the WebSocket and the probes go to the load balancer uncached, so the
 * page and the API share one HTTPS origin (CloudFront's certificate) and the browser needs no CORS.
 */
export class Cdn extends pulumi.ComponentResource {
  readonly distribution: aws.cloudfront.Distribution;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:cdn:Cdn', name, {}, opts);
    const oac = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      {
        description: 'Delta Augment static assets',
        originAccessControlOriginType: 's3',
        signingBehavior: 'always',
        signingProtocol: 'sigv4',
      },
      { parent: this },
    );
    const assetsOrigin = 'assets';
    const gatewayOrigin = 'gateway';
    this.distribution = new aws.cloudfront.Distribution(
      name,
      {
        enabled: true,
        comment: 'Delta Augment',
        isIpv6Enabled: true,
        httpVersion: 'http2and3',
        priceClass: 'PriceClass_100',
        defaultRootObject: 'index.html',
        origins: [
          {
            originId: assetsOrigin,
            domainName: args.assetsBucket.bucketRegionalDomainName,
            originAccessControlId: oac.id,
          },
          {
            originId: gatewayOrigin,
            domainName: args.gatewayDomain,
            customOriginConfig: {
              httpPort: 80,
              httpsPort: 443,
              originProtocolPolicy: 'http-only',
              originSslProtocols: ['TLSv1.2'],
              originReadTimeout: 60,
              originKeepaliveTimeout: 60,
            },
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: assetsOrigin,
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: MANAGED.cachingOptimized,
          compress: true,
        },
        orderedCacheBehaviors: GATEWAY_PATHS.map((pathPattern) => ({
          pathPattern,
          targetOriginId: gatewayOrigin,
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: MANAGED.cachingDisabled,
          originRequestPolicyId: MANAGED.allViewerExceptHostHeader,
          compress: true,
        })),
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        viewerCertificate: { cloudfrontDefaultCertificate: true },
      },
      { parent: this },
    );
    new aws.s3.BucketPolicy(
      `${name}-assets-policy`,
      {
        bucket: args.assetsBucket.bucket,
        policy: policyDocument([
          denyInsecureTransport(args.assetsBucket.arn),
          {
            Sid: 'CloudFrontReadsAssets',
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Resource: pulumi.interpolate`${args.assetsBucket.arn}/*`,
            Condition: { StringEquals: { 'AWS:SourceArn': this.distribution.arn } },
          },
        ]),
      },
      { parent: this, dependsOn: [args.assetsAccessBlock] },
    );
    this.url = pulumi.interpolate`https://${this.distribution.domainName}`;
    this.registerOutputs({ url: this.url });
  }
}

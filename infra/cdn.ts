import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { denyInsecureTransport, policyDocument } from './iam.js';
import { type LoadBalancer, ORIGIN_HEADER } from './load-balancer.js';

/** AWS managed CloudFront policies (stable ids, the same in every account). */
const MANAGED = {
  cachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
  allViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
} as const;

/**
 * Paths CloudFront passes to the gateway (uncached); everything else is a static asset from S3. The
 * readiness probe `/readyz` (which calls DynamoDB, S3 and SQS) is not among them: it is for operators
 * inside the VPC, not for the internet.
 */
export const GATEWAY_PATHS = ['/api/*', '/ws', '/healthz', '/docs*'] as const;

/** The WAF's rate-based rule: requests per 5 minutes from one viewer IP before it is blocked. */
export const RATE_WINDOW_SECONDS = 300;

export interface CdnArgs {
  readonly assetsBucket: aws.s3.Bucket;
  /** The bucket's public access block: its policy waits for it. */
  readonly assetsAccessBlock: aws.s3.BucketPublicAccessBlock;
  /** The internal load balancer, reached through a VPC origin. */
  readonly loadBalancer: LoadBalancer;
  /** The secret value of the origin header the load balancer requires. */
  readonly originSecret: pulumi.Input<string>;
  /** Requests per 5 minutes per viewer IP (WAF rate-based rule). */
  readonly rateLimit: number;
  /** Provider in us-east-1: CloudFront-scoped WAF web ACLs live there. */
  readonly usEast1: aws.Provider;
}

/**
 * CloudFront, the only way in: the private assets bucket is read through Origin Access Control
 * (SigV4; the bucket policy admits this distribution only, by AWS:SourceArn), and the API, the
 * WebSocket and the liveness probe go uncached to the internal load balancer through a VPC origin,
 * with the secret origin header the listener requires. A WAF web ACL (in us-east-1, as CloudFront
 * requires) blocks a viewer IP above `rateLimit` requests per 5 minutes and AWS's IP reputation
 * list; a response-headers policy adds HSTS, nosniff, DENY framing and a referrer policy to every
 * response, static or not. Page and API share one HTTPS origin, so the browser needs no CORS.
 */
export class Cdn extends pulumi.ComponentResource {
  readonly distribution: aws.cloudfront.Distribution;
  readonly url: pulumi.Output<string>;
  readonly webAcl: aws.wafv2.WebAcl;
  readonly vpcOrigin: aws.cloudfront.VpcOrigin;

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
    const lb = args.loadBalancer;
    this.vpcOrigin = new aws.cloudfront.VpcOrigin(
      `${name}-gateway-origin`,
      {
        vpcOriginEndpointConfig: {
          name: `${pulumi.getProject()}-${pulumi.getStack()}-gateway`,
          arn: lb.alb.arn,
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: lb.originProtocol,
          originSslProtocols: { items: ['TLSv1.2'], quantity: 1 },
        },
      },
      { parent: this },
    );
    this.webAcl = new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        description: 'Delta Augment edge: rate limit per viewer IP, known bad IPs',
        scope: 'CLOUDFRONT',
        defaultAction: { allow: {} },
        rules: [
          {
            name: 'rate-per-viewer-ip',
            priority: 0,
            action: { block: {} },
            statement: {
              rateBasedStatement: {
                limit: args.rateLimit,
                aggregateKeyType: 'IP',
                evaluationWindowSec: RATE_WINDOW_SECONDS,
              },
            },
            visibilityConfig: {
              cloudwatchMetricsEnabled: true,
              metricName: 'rate-per-viewer-ip',
              sampledRequestsEnabled: true,
            },
          },
          {
            name: 'aws-ip-reputation',
            priority: 1,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' },
            },
            visibilityConfig: {
              cloudwatchMetricsEnabled: true,
              metricName: 'aws-ip-reputation',
              sampledRequestsEnabled: true,
            },
          },
        ],
        visibilityConfig: {
          cloudwatchMetricsEnabled: true,
          metricName: 'delta-augment-edge',
          sampledRequestsEnabled: true,
        },
      },
      { parent: this, provider: args.usEast1 },
    );
    const securityHeaders = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-security-headers`,
      {
        comment: 'Delta Augment: security headers on every response',
        securityHeadersConfig: {
          strictTransportSecurity: {
            accessControlMaxAgeSec: 31_536_000,
            includeSubdomains: true,
            preload: false,
            override: true,
          },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: 'DENY', override: true },
          referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: true },
        },
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
            domainName: lb.alb.dnsName,
            vpcOriginConfig: {
              vpcOriginId: this.vpcOrigin.id,
              originReadTimeout: 60,
              originKeepaliveTimeout: 55,
            },
            customHeaders: [{ name: ORIGIN_HEADER, value: args.originSecret }],
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: assetsOrigin,
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: MANAGED.cachingOptimized,
          responseHeadersPolicyId: securityHeaders.id,
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
          responseHeadersPolicyId: securityHeaders.id,
          compress: true,
        })),
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        viewerCertificate: { cloudfrontDefaultCertificate: true },
        webAclId: this.webAcl.arn,
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

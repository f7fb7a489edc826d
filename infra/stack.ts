import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ArchiveQueue } from './archive-queue.js';
import { Augmenter } from './augmenter.js';
import { Cdn } from './cdn.js';
import { GatewayFleet } from './gateway-fleet.js';
import { JobEvents } from './job-events.js';
import { JobTable } from './job-table.js';
import { type LambdaCodeFactory, lambdaCode } from './lambda-package.js';
import { APP_PORT, LoadBalancer } from './load-balancer.js';
import { Network } from './network.js';
import { type StackSecrets, type StackSettings, visibilityTimeoutFor } from './settings.js';
import { Storage } from './storage.js';
import { UploadQueue } from './upload-queue.js';

/** What the stack exports (`pulumi stack output`). */
export interface StackOutputs {
  /** The load balancer: `http://<ALB DNS name>`. */
  readonly siteUrl: pulumi.Output<string>;
  /** CloudFront: the web page, with the API and WebSocket behind it, over HTTPS. */
  readonly cdnUrl: pulumi.Output<string>;
  readonly uploadQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly sourcesBucketName: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;
  readonly assetsBucketName: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly eventBusName: pulumi.Output<string>;
  readonly augmenterFunctionName: pulumi.Output<string>;
  readonly gatewayGroupName: pulumi.Output<string>;
}

export interface StackDependencies {
  /** Builds the augmenter's code; defaults to esbuild + sharp for Linux (or `augmenterPackage`). */
  readonly lambdaCode?: LambdaCodeFactory;
}

/**
 * Declares the whole AWS deployment: storage, the upload queue with its DLQ, the job table, the
 * job event bus, the augmenter Lambda, the network, the load balancer, the CDN and the gateway
 * fleet. Settings come in as values (see `readSettings`), so tests run it under Pulumi mocks with
 * any configuration and a stub Lambda package.
 */
export const createStack = (
  settings: StackSettings,
  secrets: StackSecrets = {},
  deps: StackDependencies = {},
): StackOutputs => {
  const identity = aws.getCallerIdentityOutput();
  const region = aws.getRegionOutput();
  const context = {
    accountId: identity.accountId,
    partition: identity.arn.apply((arn) => arn.split(':')[1] ?? 'aws'),
    region: region.region,
  };
  const visibilityTimeoutSeconds = visibilityTimeoutFor(settings.lambdaTimeoutSeconds, settings.batchWindowSeconds);

  const storage = new Storage('storage', { retentionDays: settings.retentionDays });
  const uploads = new UploadQueue('uploads', {
    sourcesBucket: storage.sources,
    accountId: context.accountId,
    maxReceiveCount: settings.maxReceiveCount,
    visibilityTimeoutSeconds,
    ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
  });
  const archives = new ArchiveQueue('archives');
  const jobs = new JobTable('jobs');
  const events = new JobEvents('job-events');

  // The app's configuration names (packages/ports/src/config.ts), shared by Lambda and gateway.
  const environment = {
    ADAPTERS: 'aws',
    QUEUE_URL: uploads.queue.url,
    DLQ_URL: uploads.deadLetterQueue.url,
    ARCHIVE_QUEUE_URL: archives.queue.url,
    ARCHIVE_DLQ_URL: archives.deadLetterQueue.url,
    SOURCE_BUCKET: storage.sources.bucket,
    RESULT_BUCKET: storage.results.bucket,
    TABLE_NAME: jobs.table.name,
    EVENT_BUS_NAME: events.bus.name,
    RETENTION_DAYS: String(settings.retentionDays),
    MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
    HANDLER_TIMEOUT_SECONDS: String(settings.lambdaTimeoutSeconds),
    VISIBILITY_TIMEOUT_SECONDS: String(visibilityTimeoutSeconds),
    BATCH_SIZE: String(Math.min(settings.batchSize, 10)),
    BATCH_WINDOW_SECONDS: String(settings.batchWindowSeconds),
    MAX_PIXELS: String(settings.maxPixels),
    MAX_FILE_BYTES: String(settings.maxFileBytes),
    RENDER_CONCURRENCY: String(settings.renderConcurrency),
  };

  const augmenter = new Augmenter('augmenter', {
    code: deps.lambdaCode ?? lambdaCode(settings.augmenterPackage),
    architecture: settings.lambdaArchitecture,
    memoryMb: settings.lambdaMemoryMb,
    timeoutSeconds: settings.lambdaTimeoutSeconds,
    batchSize: settings.batchSize,
    batchWindowSeconds: settings.batchWindowSeconds,
    maxConcurrency: settings.maxConcurrency,
    queue: uploads.queue,
    archiveQueue: archives.queue,
    sourcesBucket: storage.sources,
    resultsBucket: storage.results,
    table: jobs.table,
    bus: events.bus,
    environment,
  });

  const network = new Network('network');
  const loadBalancer = new LoadBalancer('gateway-lb', {
    vpc: network.vpc,
    subnets: network.publicSubnets,
    ...(settings.certificateArn ? { certificateArn: settings.certificateArn } : {}),
  });
  const cdn = new Cdn('cdn', {
    assetsBucket: storage.assets,
    assetsAccessBlock: storage.accessBlocks.assets,
    gatewayDomain: loadBalancer.alb.dnsName,
  });
  const corsOrigins = pulumi.output(cdn.url).apply((url) => [url, ...settings.corsOrigins]);
  storage.allowSignedUrlsFrom(corsOrigins);
  const fleet = new GatewayFleet('gateway', {
    context,
    instanceType: settings.instanceType,
    minSize: settings.minSize,
    maxSize: settings.maxSize,
    appRepository: settings.appRepository,
    appVersion: settings.appVersion,
    subnets: network.publicSubnets,
    vpc: network.vpc,
    loadBalancerSecurityGroup: loadBalancer.securityGroup,
    targetGroup: loadBalancer.targetGroup,
    queue: uploads.queue,
    deadLetterQueue: uploads.deadLetterQueue,
    archiveQueue: archives.queue,
    archiveDeadLetterQueue: archives.deadLetterQueue,
    sourcesBucket: storage.sources,
    resultsBucket: storage.results,
    table: jobs.table,
    bus: events.bus,
    notificationTopic: events.topic,
    environment: {
      ...environment,
      HOST: '0.0.0.0',
      PORT: String(APP_PORT),
      DATA_DIR: '/var/lib/delta-augment',
      NODE_ENV: 'production',
      PUBLIC_URL: cdn.url,
      CORS_ORIGINS: corsOrigins.apply((origins) => origins.join(',')),
    },
    secrets,
  });

  return {
    siteUrl: loadBalancer.url,
    cdnUrl: cdn.url,
    uploadQueueUrl: uploads.queue.url,
    deadLetterQueueUrl: uploads.deadLetterQueue.url,
    sourcesBucketName: storage.sources.bucket,
    resultsBucketName: storage.results.bucket,
    assetsBucketName: storage.assets.bucket,
    tableName: jobs.table.name,
    eventBusName: events.bus.name,
    augmenterFunctionName: augmenter.function.name,
    gatewayGroupName: fleet.group.name,
  };
};

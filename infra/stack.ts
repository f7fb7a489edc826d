import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ArchiveQueue } from './archive-queue.js';
import { type AppArtifact, gatewayArtifactKey, readArtifact } from './artifact.js';
import { ARCHIVER, Augmenter } from './augmenter.js';
import { tableThroughputCeiling } from './capacity.js';
import { Cdn } from './cdn.js';
import { InfraConfigError } from './errors.js';
import { EventDeadLetters } from './event-dead-letters.js';
import { GatewayFleet } from './gateway-fleet.js';
import { JobEvents } from './job-events.js';
import { JobTable, jobTableSchema } from './job-table.js';
import { type LambdaCodeFactory, lambdaCode } from './lambda-package.js';
import { APP_PORT, LoadBalancer } from './load-balancer.js';
import { Monitoring } from './monitoring.js';
import { Network } from './network.js';
import { NotifyQueueJanitor } from './notify-queue-janitor.js';
import { RETENTION_TIMEOUT_SECONDS, RetentionSweeper } from './retention-sweeper.js';
import { type StackSecrets, type StackSettings, visibilityTimeoutFor } from './settings.js';
import { Storage } from './storage.js';
import { UploadQueue } from './upload-queue.js';

/** What the stack exports (`pulumi stack output`). */
export interface StackOutputs {
  /** CloudFront: the web page, with the API and WebSocket behind it, over HTTPS. The only way in. */
  readonly cdnUrl: pulumi.Output<string>;
  readonly uploadQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly archiveQueueUrl: pulumi.Output<string>;
  readonly sourcesBucketName: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;
  readonly assetsBucketName: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly eventBusName: pulumi.Output<string>;
  readonly augmenterFunctionName: pulumi.Output<string>;
  readonly archiverFunctionName: pulumi.Output<string>;
  readonly gatewayGroupName: pulumi.Output<string>;
  readonly alarmTopicArn: pulumi.Output<string>;
  readonly commit: pulumi.Output<string>;
}

export interface StackDependencies {
  /** Builds the Lambda code; defaults to the artifact's Lambda package. */
  readonly lambdaCode?: LambdaCodeFactory;
  /** The built artifact; defaults to reading `artifactDir`. */
  readonly artifact?: AppArtifact;
}

/** Tags every resource carries (provider `defaultTags`): cost allocation and ownership. */
export const defaultTagsFor = (commit: string): Record<string, string> => ({
  Project: pulumi.getProject(),
  Stack: pulumi.getStack(),
  ManagedBy: 'pulumi',
  Commit: commit,
});

/**
 * Declares the whole AWS deployment: storage, the upload and archive queues with their DLQs, the job
 * table, the job event bus, the augmenter and archiver Lambdas, the network, the internal load
 * balancer, the CDN with its WAF, the gateway fleet with its notification-queue janitor, and the
 * alarms, dashboard and budget. Every resource is created through one provider whose `defaultTags`
 * tag it. Settings come in as values (see `readSettings`), so tests run it under Pulumi mocks with any
 * configuration, a stub artifact and a stub Lambda package.
 */
export const createStack = (
  settings: StackSettings,
  secrets: StackSecrets = {},
  deps: StackDependencies = {},
): StackOutputs => {
  const artifact =
    deps.artifact ??
    (settings.artifactDir
      ? readArtifact(settings.artifactDir)
      : (() => {
          throw new InfraConfigError(
            'artifactDir',
            'is required: build the artifact of a commit with `node --import tsx infra/build-artifact.ts` and set its directory',
          );
        })());
  const region = new pulumi.Config('aws').get('region');
  const provider = new aws.Provider('aws', {
    ...(region ? { region: region as aws.Region } : {}),
    defaultTags: { tags: defaultTagsFor(artifact.commit) },
  });
  // CloudFront-scoped WAF web ACLs (and CloudFront's own metrics) live in us-east-1.
  const usEast1 = new aws.Provider('us-east-1', {
    region: 'us-east-1',
    defaultTags: { tags: defaultTagsFor(artifact.commit) },
  });
  const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };

  const identity = aws.getCallerIdentityOutput({}, { provider });
  const currentRegion = aws.getRegionOutput({}, { provider });
  const context = {
    accountId: identity.accountId,
    partition: identity.arn.apply((arn) => arn.split(':')[1] ?? 'aws'),
    region: currentRegion.region,
  };
  const visibilityTimeoutSeconds = visibilityTimeoutFor(settings.lambdaTimeoutSeconds, settings.batchWindowSeconds);

  const storage = new Storage('storage', { retentionDays: settings.retentionDays }, opts);
  const uploads = new UploadQueue(
    'uploads',
    {
      sourcesBucket: storage.sources,
      accountId: context.accountId,
      maxReceiveCount: settings.maxReceiveCount,
      visibilityTimeoutSeconds,
    },
    opts,
  );
  const archives = new ArchiveQueue('archives', opts);
  const jobs = new JobTable('jobs', { throughput: tableThroughputCeiling(settings) }, opts);
  const deadLetters = new EventDeadLetters('event-dlq', opts);
  const events = new JobEvents('job-events', { deadLetters }, opts);

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

  const augmenter = new Augmenter(
    'augmenter',
    {
      code: deps.lambdaCode ?? lambdaCode(artifact.lambdaPackage),
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
    },
    opts,
  );

  const network = new Network('network', { region: context.region }, opts);
  const originSecret = new random.RandomPassword('origin-secret', { length: 40, special: false });
  const loadBalancer = new LoadBalancer(
    'gateway-lb',
    {
      vpc: network.vpc,
      subnets: network.privateSubnets,
      originSecret: originSecret.result,
      ...(settings.certificateArn ? { certificateArn: settings.certificateArn } : {}),
    },
    opts,
  );
  const cdn = new Cdn(
    'cdn',
    {
      assetsBucket: storage.assets,
      assetsAccessBlock: storage.accessBlocks.assets,
      loadBalancer,
      originSecret: originSecret.result,
      rateLimit: settings.edgeRateLimit,
      usEast1,
    },
    opts,
  );
  const corsOrigins = pulumi.output(cdn.url).apply((url) => [url, ...settings.corsOrigins]);
  storage.allowSignedUrlsFrom(corsOrigins);

  const gatewayArtifact = new aws.s3.BucketObjectv2(
    'gateway-artifact',
    {
      bucket: storage.artifacts.bucket,
      key: gatewayArtifactKey(artifact.commit),
      source: new pulumi.asset.FileAsset(artifact.gatewayTarball),
      checksumAlgorithm: 'SHA256',
    },
    { provider },
  );
  const fleet = new GatewayFleet(
    'gateway',
    {
      context,
      instanceType: settings.instanceType,
      minSize: settings.minSize,
      maxSize: settings.maxSize,
      artifact: {
        bucket: storage.artifacts,
        key: gatewayArtifact.key,
        sha256: artifact.gatewaySha256,
        commit: artifact.commit,
      },
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
        // Viewer → CloudFront → load balancer: the viewer's address is two hops back (rate-limit keys).
        TRUSTED_PROXY_HOPS: '2',
      },
      secrets,
    },
    opts,
  );
  const janitor = new NotifyQueueJanitor(
    'notify-janitor',
    {
      context,
      group: fleet.group,
      topic: events.topic,
      notifyQueuePrefix: fleet.notifyQueuePrefix,
      notifyQueueArnPrefix: fleet.notifyQueueArnPrefix,
      deadLetters,
    },
    opts,
  );
  const retention = new RetentionSweeper(
    'retention',
    {
      code: augmenter.code,
      architecture: settings.lambdaArchitecture,
      sourcesBucket: storage.sources,
      resultsBucket: storage.results,
      table: jobs.table,
      environment,
      deadLetters,
    },
    opts,
  );
  deadLetters.admit([events.rule.arn, ...janitor.rules.map((rule) => rule.arn), retention.rule.arn]);

  const monitoring = new Monitoring(
    'monitoring',
    {
      context,
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
      monthlyBudgetUsd: settings.monthlyBudgetUsd,
      queues: [
        {
          name: 'uploads-dlq',
          queue: uploads.deadLetterQueue,
          meaning: 'Uploads failed maxReceiveCount times and wait in the dead-letter queue: inspect and redrive.',
        },
        {
          name: 'archives-dlq',
          queue: archives.deadLetterQueue,
          meaning:
            'Archive requests failed 3 times: one that threw failed its job; one whose archiver was killed (memory, timeout) left its job processing: inspect.',
        },
        {
          name: 'event-dlq',
          queue: deadLetters.queue,
          meaning: 'EventBridge gave up delivering events (job notifications or janitor triggers): inspect the queue.',
        },
        {
          name: 'uploads',
          queue: uploads.queue,
          maxAgeSeconds: 15 * 60,
          meaning: 'An upload has waited over 15 minutes: the augmenter is not keeping up or not running.',
        },
        {
          name: 'archives',
          queue: archives.queue,
          maxAgeSeconds: 60 * 60,
          meaning: 'An archive request has waited over an hour: archives are stuck.',
        },
      ],
      functions: [
        { name: 'augmenter', fn: augmenter.function, timeoutSeconds: settings.lambdaTimeoutSeconds },
        { name: 'archiver', fn: augmenter.archiver, timeoutSeconds: ARCHIVER.timeoutSeconds },
        { name: 'notify-janitor', fn: janitor.function, timeoutSeconds: 60 },
        { name: 'retention', fn: retention.function, timeoutSeconds: RETENTION_TIMEOUT_SECONDS },
      ],
      table: jobs.table,
      tableIndexes: [jobTableSchema.ownerIndex],
      rules: [
        { name: 'job-events', rule: events.rule, busName: events.bus.name },
        { name: 'janitor-terminating', rule: janitor.rules[0] as aws.cloudwatch.EventRule },
        { name: 'janitor-sweep', rule: janitor.rules[1] as aws.cloudwatch.EventRule },
        { name: 'retention', rule: retention.rule },
      ],
      alb: loadBalancer.alb,
    },
    opts,
  );

  return {
    cdnUrl: cdn.url,
    uploadQueueUrl: uploads.queue.url,
    deadLetterQueueUrl: uploads.deadLetterQueue.url,
    archiveQueueUrl: archives.queue.url,
    sourcesBucketName: storage.sources.bucket,
    resultsBucketName: storage.results.bucket,
    assetsBucketName: storage.assets.bucket,
    tableName: jobs.table.name,
    eventBusName: events.bus.name,
    augmenterFunctionName: augmenter.function.name,
    archiverFunctionName: augmenter.archiver.name,
    gatewayGroupName: fleet.group.name,
    alarmTopicArn: monitoring.topic.arn,
    commit: pulumi.output(artifact.commit),
  };
};

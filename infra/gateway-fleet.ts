import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicy, policyDocument, type Statement } from './iam.js';
import { APP_PORT } from './load-balancer.js';
import type { StackSecrets } from './settings.js';
import { instanceArchitecture } from './settings.js';
import { gatewayUserData, NOTIFY_OWNER_TAG } from './user-data.js';

/** Where the stack runs: account, partition and region, from the caller's identity. */
export interface AwsContext {
  readonly accountId: pulumi.Input<string>;
  readonly partition: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
}

export interface GatewayFleetArgs {
  readonly context: AwsContext;
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** The gateway tarball of one commit, in the artifacts bucket. */
  readonly artifact: {
    readonly bucket: aws.s3.Bucket;
    readonly key: pulumi.Input<string>;
    readonly sha256: string;
    readonly commit: string;
  };
  readonly subnets: readonly aws.ec2.Subnet[];
  readonly vpc: aws.ec2.Vpc;
  readonly loadBalancerSecurityGroup: aws.ec2.SecurityGroup;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly archiveQueue: aws.sqs.Queue;
  readonly archiveDeadLetterQueue: aws.sqs.Queue;
  readonly sourcesBucket: aws.s3.Bucket;
  readonly resultsBucket: aws.s3.Bucket;
  readonly table: aws.dynamodb.Table;
  readonly bus: aws.cloudwatch.EventBus;
  readonly notificationTopic: aws.sns.Topic;
  /** Settings shared with the augmenter, plus the gateway's own. */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly secrets: StackSecrets;
}

/**
 * The IAM policy variable of the caller's user id; for an instance profile's role session it is
 * `<role id>:<instance id>`, which is what an instance tags its notification queue with.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
export const CALLER_USER_ID = '${aws:userid}';

/** The lifecycle hook the notification-queue janitor completes. */
export const TERMINATE_HOOK = 'delete-notify-queue';

/** Queue names are `[A-Za-z0-9_-]{1,80}`; the instance id (19 characters) completes the prefix. */
export const notifyQueuePrefix = (project: string, stack: string): string =>
  `${project}-${stack}`
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 52)
    .concat('-notify-');

/**
 * The gateway + notifier instances: an auto-scaling group across both subnets (two availability
 * zones) registered with the load balancer's target group, replaced when the ELB health check
 * (`/readyz`) fails and rolled when the launch template changes; CPU target tracking scales it
 * between `minSize` and `maxSize`. Instances run Amazon Linux 2023 (arm64 for Graviton types),
 * require IMDSv2, encrypt their root volume, admit the app port from the load balancer only, and
 * assume a role limited to the stack's own queues, buckets (by prefix), table, bus, topic,
 * per-instance notification queues and secret parameters.
 */
export class GatewayFleet extends pulumi.ComponentResource {
  readonly group: aws.autoscaling.Group;
  readonly role: aws.iam.Role;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  /** Boot and service logs of every instance (CloudWatch agent). */
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly terminateHook: aws.autoscaling.LifecycleHook;
  /** Name prefix and ARN prefix of the per-instance notification queues. */
  readonly notifyQueuePrefix: string;
  readonly notifyQueueArnPrefix: pulumi.Output<string>;

  constructor(name: string, args: GatewayFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:gateway:GatewayFleet', name, {}, opts);
    const { accountId, partition, region } = args.context;
    const prefix = notifyQueuePrefix(pulumi.getProject(), pulumi.getStack());
    const notifyQueueArnPrefix = pulumi.interpolate`arn:${partition}:sqs:${region}:${accountId}:${prefix}`;
    this.notifyQueuePrefix = prefix;
    this.notifyQueueArnPrefix = notifyQueueArnPrefix;

    const secretParameters: Record<string, aws.ssm.Parameter> = {};
    for (const [env, value] of [
      ['API_KEYS', args.secrets.apiKeys],
      ['ADMIN_KEY', args.secrets.adminKey],
    ] as const) {
      if (value === undefined) continue;
      secretParameters[env] = new aws.ssm.Parameter(
        `${name}-${env.toLowerCase().replace(/_/g, '-')}`,
        {
          name: `/${pulumi.getProject()}/${pulumi.getStack()}/${env}`,
          type: 'SecureString',
          value,
        },
        { parent: this },
      );
    }

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/${pulumi.getProject()}/${pulumi.getStack()}/gateway`, retentionInDays: 30 },
      { parent: this },
    );
    const logGroup = this.logGroup;
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com') },
      { parent: this },
    );
    const statements: Statement[] = [
      {
        Sid: 'UploadQueues',
        Effect: 'Allow',
        Action: [
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:PurgeQueue',
        ],
        Resource: [args.queue.arn, args.deadLetterQueue.arn, args.archiveQueue.arn, args.archiveDeadLetterQueue.arn],
      },
      {
        // Operator redrive of dead letters back to the upload queue (StartMessageMoveTask).
        Sid: 'RedriveDeadLetters',
        Effect: 'Allow',
        Action: [
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
          'sqs:ListDeadLetterSourceQueues',
        ],
        Resource: [args.deadLetterQueue.arn, args.archiveDeadLetterQueue.arn],
      },
      {
        Sid: 'Sources',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        Resource: pulumi.interpolate`${args.sourcesBucket.arn}/sources/*`,
      },
      {
        Sid: 'Results',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject'],
        Resource: pulumi.interpolate`${args.resultsBucket.arn}/results/*`,
      },
      {
        // Listing job prefixes, HeadBucket (the readiness probe) and 404 rather than 403 on missing keys.
        Sid: 'ListBuckets',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: [args.sourcesBucket.arn, args.resultsBucket.arn],
      },
      {
        Sid: 'JobEventStore',
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:DescribeTable',
        ],
        Resource: [args.table.arn, pulumi.interpolate`${args.table.arn}/index/*`],
      },
      { Sid: 'PublishJobEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: args.bus.arn },
      {
        // Each instance creates its notification queue (idempotently, at every service start) only
        // tagged with its own role session (`aws:userid` = `<role id>:<instance id>`), and tags nothing else.
        Sid: 'CreateOwnNotificationQueue',
        Effect: 'Allow',
        Action: ['sqs:CreateQueue', 'sqs:TagQueue'],
        Resource: pulumi.interpolate`${notifyQueueArnPrefix}*`,
        Condition: {
          StringEquals: { [`aws:RequestTag/${NOTIFY_OWNER_TAG}`]: CALLER_USER_ID },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [NOTIFY_OWNER_TAG] },
        },
      },
      {
        // ... and reads only the queue whose owner tag is its own: never another instance's events.
        // It cannot delete queues: the janitor function does, when the instance terminates.
        Sid: 'ReadOwnNotificationQueue',
        Effect: 'Allow',
        Action: [
          'sqs:GetQueueAttributes',
          'sqs:SetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
        ],
        Resource: pulumi.interpolate`${notifyQueueArnPrefix}*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${NOTIFY_OWNER_TAG}`]: CALLER_USER_ID } },
      },
      {
        // No instance re-tags a queue another instance owns (which would hand it that queue).
        Sid: 'NeverTakeAnotherInstancesQueue',
        Effect: 'Deny',
        Action: ['sqs:TagQueue', 'sqs:UntagQueue'],
        Resource: pulumi.interpolate`${notifyQueueArnPrefix}*`,
        Condition: {
          Null: { [`aws:ResourceTag/${NOTIFY_OWNER_TAG}`]: 'false' },
          StringNotEquals: { [`aws:ResourceTag/${NOTIFY_OWNER_TAG}`]: CALLER_USER_ID },
        },
      },
      {
        // Only an SQS subscription, and only to a notification queue of this stack: never e-mail, HTTP
        // or another account's queue on the topic that carries every user's job events.
        Sid: 'SubscribeOwnQueueToJobEvents',
        Effect: 'Allow',
        Action: 'sns:Subscribe',
        Resource: args.notificationTopic.arn,
        Condition: {
          StringEquals: { 'sns:Protocol': 'sqs' },
          StringLike: { 'sns:Endpoint': pulumi.interpolate`${notifyQueueArnPrefix}*` },
        },
      },
      {
        Sid: 'ReadArtifact',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: pulumi.interpolate`${args.artifact.bucket.arn}/${args.artifact.key}`,
      },
      {
        Sid: 'ShipLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
      },
    ];
    const parameters = Object.values(secretParameters);
    if (parameters.length > 0) {
      statements.push({
        Sid: 'ReadSecrets',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: parameters.map((parameter) => parameter.arn),
      });
    }
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.name, policy: policyDocument(statements) },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: this.role.name }, { parent: this });

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpc.id,
        description: 'Delta Augment gateway instances: the app port from the load balancer only',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: APP_PORT,
            toPort: APP_PORT,
            securityGroups: [args.loadBalancerSecurityGroup.id],
            description: 'from the load balancer',
          },
        ],
        egress: [
          {
            protocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ['0.0.0.0/0'],
            description: 'AWS APIs, the Amazon Linux repositories and https webhook receivers',
          },
          {
            protocol: 'tcp',
            fromPort: 80,
            toPort: 80,
            cidrBlocks: ['0.0.0.0/0'],
            description: 'webhook receivers on http (job webhooks are POSTed from the gateway instances)',
          },
        ],
      },
      { parent: this },
    );

    const architecture = instanceArchitecture(args.instanceType);
    const ami = aws.ssm.getParameterOutput(
      { name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}` },
      { parent: this },
    );
    const userData = pulumi
      .all([
        region,
        args.notificationTopic.arn,
        notifyQueueArnPrefix,
        pulumi.output(args.environment),
        pulumi.all(Object.fromEntries(Object.entries(secretParameters).map(([env, p]) => [env, p.name]))),
        args.artifact.bucket.bucket,
        args.artifact.key,
        logGroup.name,
      ])
      .apply(([resolvedRegion, topicArn, arnPrefix, environment, secretNames, bucket, key, logGroupName]) =>
        Buffer.from(
          gatewayUserData({
            region: resolvedRegion,
            artifactUri: `s3://${bucket}/${key}`,
            artifactSha256: args.artifact.sha256,
            commit: args.artifact.commit,
            logGroupName,
            environment: { ...environment, AWS_REGION: resolvedRegion },
            secretParameters: secretNames,
            notificationTopicArn: topicArn,
            notifyQueuePrefix: prefix,
            notifyQueueArnPrefix: arnPrefix,
          }),
        ).toString('base64'),
      );

    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-template`,
      {
        imageId: ami.value,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [securityGroup.id],
        userData,
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [
          {
            deviceName: '/dev/xvda',
            ebs: { volumeSize: 16, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
          },
        ],
        monitoring: { enabled: true },
        updateDefaultVersion: true,
        tagSpecifications: [
          {
            resourceType: 'instance',
            tags: { Name: `${pulumi.getProject()}-${pulumi.getStack()}-gateway`, Commit: args.artifact.commit },
          },
        ],
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.group = new aws.autoscaling.Group(
      name,
      {
        vpcZoneIdentifiers: args.subnets.map((subnet) => subnet.id),
        minSize: args.minSize,
        maxSize: args.maxSize,
        launchTemplate: {
          id: this.launchTemplate.id,
          version: pulumi.interpolate`${this.launchTemplate.latestVersion}`,
        },
        targetGroupArns: [args.targetGroup.arn],
        healthCheckType: 'ELB',
        healthCheckGracePeriod: 600,
        defaultInstanceWarmup: 300,
        waitForCapacityTimeout: '20m',
        instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 50 } },
        enabledMetrics: ['GroupInServiceInstances', 'GroupDesiredCapacity'],
      },
      { parent: this },
    );
    // Termination waits (at most 2 minutes) for the janitor to delete the instance's notification queue.
    this.terminateHook = new aws.autoscaling.LifecycleHook(
      `${name}-terminating`,
      {
        name: TERMINATE_HOOK,
        autoscalingGroupName: this.group.name,
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        defaultResult: 'CONTINUE',
        heartbeatTimeout: 120,
      },
      { parent: this },
    );
    new aws.autoscaling.Policy(
      `${name}-cpu`,
      {
        autoscalingGroupName: this.group.name,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
          targetValue: 60,
        },
      },
      { parent: this },
    );
    this.registerOutputs({ groupName: this.group.name });
  }
}

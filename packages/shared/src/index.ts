export { type AwsClients, type AwsPorts, awsClients, awsPorts } from './aws-ports.js';
export { S3BlobStore } from './blob-store/aws.js';
export { LocalBlobStore, type LocalBlobStoreOptions, verifyBlobUrl } from './blob-store/local.js';
export * from './blob-store/port.js';
export * from './clock.js';
export * from './config.js';
export * from './errors.js';
export { EventBridgeBus } from './event-bus/aws.js';
export { startQueueIngress } from './event-bus/aws-ingress.js';
export { SqliteEventBus } from './event-bus/local.js';
export * from './event-bus/port.js';
export { DYNAMO_TABLE_SCHEMA, DynamoDbJobEventStore } from './job-event-store/aws.js';
export { SqliteJobEventStore } from './job-event-store/local.js';
export * from './job-event-store/port.js';
export * from './jobs/decide.js';
export * from './jobs/events.js';
export * from './jobs/job-service.js';
export * from './jobs/state.js';
export * from './jobs/variant-set.js';
export * from './keys.js';
export * from './labels/index.js';
export { type LocalPorts, localPorts, localQueueConfig, type Ports } from './local-ports.js';
export * from './s3-event.js';
export { openDatabase } from './sqlite.js';
export { SqsWorkQueue } from './work-queue/aws.js';
export { SqliteWorkQueue } from './work-queue/local.js';
export * from './work-queue/port.js';
export {
  type RedriveState,
  type RedriveStatus,
  RedriveTask,
  type RedriveTaskOptions,
} from './work-queue/redrive-task.js';

/** The AWS adapters (AWS SDK v3 clients, injected through each adapter's constructor). */
export { type AwsClients, type AwsPorts, awsClients, awsPorts } from './aws-ports.js';
export { S3BlobStore } from './blob-store/aws.js';
export { EventBridgeBus } from './event-bus/aws.js';
export { startQueueIngress } from './event-bus/aws-ingress.js';
export { DYNAMO_TABLE_SCHEMA, DynamoDbJobEventStore, OWNER_INDEX_ATTRIBUTES } from './job-event-store/aws.js';
export { DynamoDbWebhookOutbox, type DynamoDbWebhookOutboxOptions, WEBHOOKS_DUE_PARTITION } from './webhooks/aws.js';
export { SqsWorkQueue } from './work-queue/aws.js';

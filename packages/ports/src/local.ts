/** The embedded adapters: SQLite and the filesystem stand in for DynamoDB, SQS, EventBridge and S3. */
export {
  type JobFolder,
  LocalBlobStore,
  type LocalBlobStoreOptions,
  type StraySweep,
  verifyBlobUrl,
} from './blob-store/local.js';
export { SqliteEventBus } from './event-bus/local.js';
export { SqliteJobEventStore } from './job-event-store/local.js';
export { type LocalPorts, localPorts, localQueueConfig } from './local-ports.js';
export { openDatabase } from './sqlite.js';
export { SqliteWebhookOutbox } from './webhooks/local.js';
export { SqliteWorkQueue } from './work-queue/local.js';

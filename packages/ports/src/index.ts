/**
 * The ports: one narrow interface per AWS service the system touches, the configuration, and the
 * job service that appends decided events and publishes them. Adapters live at
 * `@delta-augment/ports/local` (SQLite + filesystem) and `@delta-augment/ports/aws` (AWS SDK v3).
 */
export * from './blob-store/port.js';
export * from './budgets.js';
export * from './config.js';
export * from './event-bus/port.js';
export * from './job-event-store/port.js';
export * from './job-service.js';
export type { Ports } from './ports.js';
export * from './retention.js';
export * from './webhooks/port.js';
export * from './work-queue/port.js';
export {
  type RedriveState,
  type RedriveStatus,
  RedriveTask,
  type RedriveTaskOptions,
} from './work-queue/redrive-task.js';

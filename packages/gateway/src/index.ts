export { buildApp, type GatewayDeps } from './app.js';
export {
  type DeadLetterSweepDeps,
  failDeadLetteredDatasets,
  failDeadLetteredFinalisations,
  startArchiveDeadLetterSweep,
  startDatasetDeadLetterSweep,
} from './dead-letter-sweeps.js';
export { attachNotifier } from './notifier.js';
export {
  type BlobHousekeeping,
  datasetUnreadReason,
  finalisationUnfinishedReason,
  INTERRUPTED_UPLOAD,
  type ReconcileDeps,
  type ReconcileReport,
  reconcile,
  startReconciler,
} from './reconciler.js';
export type { Log, RunningService } from './service.js';
export { startSweeper, sweepExpired } from './sweeper.js';
export {
  failLateUploads,
  startUploadDeadlineSweep,
  type UploadDeadlineDeps,
  uploadDeadlineOf,
} from './upload-deadline.js';
export { WebhookDispatcher, type WebhookDispatcherDeps } from './webhooks/dispatcher.js';
export { loadWebhookSettings, type WebhookSettings } from './webhooks/settings.js';
export { signWebhook, verifyWebhook } from './webhooks/signature.js';

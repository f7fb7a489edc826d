export { buildApp, type GatewayDeps } from './app.js';
export { attachNotifier } from './notifier.js';
export type { Log, RunningService } from './service.js';
export { startSweeper, sweepExpired } from './sweeper.js';

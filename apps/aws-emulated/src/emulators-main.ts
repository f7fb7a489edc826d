/**
 * The emulator process of the emulated AWS stack (Node >= 22.5: fauxqs needs `node:sqlite`). Reads the
 * infra settings from argv[2] (JSON, as `pulumi config` would hold them), starts the emulators and
 * reports `EmulatorsReady` to its parent over IPC; stops on SIGTERM or when the parent goes away.
 */
import type { RawSettings } from '../../../infra/settings.js';
import { startEmulators } from './emulators.js';
import type { EmulatorsReady } from './environment.js';
import { readInfraModel } from './infra-model.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as RawSettings;
const model = await readInfraModel(settings);
const emulators = await startEmulators(model);
const ready: EmulatorsReady = {
  endpoints: emulators.endpoints,
  queueUrls: emulators.queueUrls,
  controlUrl: emulators.controlUrl,
  notifyQueueUrl: emulators.notifyQueueUrl,
  model,
};
process.send?.({ type: 'ready', ready });
const stop = () => {
  emulators.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

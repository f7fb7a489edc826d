/**
 * `npm run start:aws-emulated`: the AWS composition on this machine (see docs/AWS-EMULATED.md).
 * PORT (default 8080) is the gateway's; infra settings can be overridden with EMULATED_SETTINGS
 * (JSON, e.g. '{"lambdaTimeoutSeconds":"10"}').
 */
import { startEmulatedStack } from './stack.js';

const log = (message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(
    `${JSON.stringify({ at: new Date().toISOString(), component: 'aws-emulated', msg: message, ...fields })}\n`,
  );

const stack = await startEmulatedStack({
  port: process.env.PORT ? Number(process.env.PORT) : 8080,
  settings: process.env.EMULATED_SETTINGS ? JSON.parse(process.env.EMULATED_SETTINGS) : {},
  log,
}).catch((error: unknown) => {
  process.stderr.write(`aws-emulated failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
log('AWS-mode stack is up on emulators', {
  gateway: stack.url,
  usage: `${stack.ready.controlUrl}/usage`,
  ...stack.ready.endpoints,
});
let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  stack.stop().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

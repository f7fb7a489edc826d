/**
 * `npm start`: the whole service on this machine (ADAPTERS=local, the default), or the gateway with
 * the AWS adapters (ADAPTERS=aws). Configuration comes from the environment; see the README.
 */

import { startAwsGateway } from '@delta-augment/aws-gateway';
import { ConfigError } from '@delta-augment/core';
import type { Log } from '@delta-augment/gateway';
import { loadConfig } from '@delta-augment/ports';
import { startLocalStack } from './stack.js';

const log: Log = (message, fields) =>
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), msg: message, ...fields })}\n`);

const main = async () => {
  const config = loadConfig();
  const stack = config.adapters === 'aws' ? await startAwsGateway(config, log) : await startLocalStack(config, log);
  let signals = 0;
  const onSignal = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    log('shutting down', { signal });
    stack.stop().then(
      () => process.exit(0),
      (error: Error) => {
        log('shutdown failed', { reason: error.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`configuration error: ${error.message}\n`);
  else process.stderr.write(`failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

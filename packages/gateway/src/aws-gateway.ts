import type { Config } from '@delta-augment/shared';
import type { LocalStack, Log } from './local/stack.js';

/** The gateway with the AWS adapters (wired once the AWS adapters land). */
export const startAwsGateway = async (_config: Config, _log: Log): Promise<LocalStack> => {
  throw new Error('ADAPTERS=aws is not wired yet');
};

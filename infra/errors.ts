import * as pulumi from '@pulumi/pulumi';

/**
 * A stack configuration value that cannot be deployed. It extends Pulumi's `RunError` so that
 * `pulumi preview` / `pulumi up` print the message alone, without a stack trace. (The app's
 * `DeltaError` lives in `@delta-augment/core`, which the Pulumi program does not load: the
 * deployment code stays free of the runtime's native modules.)
 */
export class InfraConfigError extends pulumi.RunError {
  /** Stable code, like the app's error codes. */
  readonly code = 'INFRA_CONFIG';

  constructor(
    /** The Pulumi config key at fault. */
    readonly key: string,
    message: string,
  ) {
    super(`config ${key}: ${message}`);
    this.name = 'InfraConfigError';
  }
}

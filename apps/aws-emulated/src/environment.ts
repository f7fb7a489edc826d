import { EMULATOR_CREDENTIALS } from './emulator-credentials.js';
import type { InfraModel } from './infra-model.js';

/** What the emulator process reports once its resources exist. */
export interface EmulatorsReady {
  readonly endpoints: { s3: string; sqs: string; sns: string; dynamodb: string; eventbridge: string };
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly controlUrl: string;
  readonly notifyQueueUrl: string;
  readonly model: InfraModel;
}

/** A queue URL as infra's outputs name it (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
const AWS_QUEUE_URL = /^https:\/\/sqs\.[^/]+\.amazonaws\.com\/\d+\/(.+)$/;

/**
 * Infra's environment for a process (the Lambda's or the gateway instances'), pointed at the emulators:
 * queue URLs become the emulator's (same queue names), every client gets its per-service endpoint,
 * and the region and credentials are the emulator's. Names of buckets, table and bus are infra's own.
 */
export const emulatedEnvironment = (
  declared: Readonly<Record<string, string>>,
  ready: EmulatorsReady,
): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared)) {
    const queue = AWS_QUEUE_URL.exec(value)?.[1];
    const url = queue === undefined ? undefined : ready.queueUrls[queue];
    if (queue !== undefined && !url)
      throw new Error(`${name} names queue ${queue}, which the emulators did not create`);
    env[name] = url ?? value;
  }
  return {
    ...env,
    AWS_REGION: ready.model.region,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: ready.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: ready.endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: ready.endpoints.sns,
    AWS_ENDPOINT_URL_DYNAMODB: ready.endpoints.dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: ready.endpoints.eventbridge,
  };
};

/**
 * The Lambda side of the emulated AWS stack, on the Lambda runtime's Node major: sets the function's
 * environment (infra's, pointed at the emulators), imports the bundle infra deploys (esbuild output,
 * `index.mjs`, the export infra names in the function's handler) and runs the SQS event source mapping stand-in on it.
 * argv[2]: JSON `{ bundle, functionName, environment, memoryMb, timeoutSeconds, mapping, queueUrl,
 * region, controlUrl, concurrency }`. Reports each invocation to the emulators' usage counters.
 */

import { pathToFileURL } from 'node:url';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventSourceMapping, type LambdaHandler } from './esm-runner.js';

interface RunnerConfig {
  readonly bundle: string;
  readonly functionName: string;
  /** `<file>.<export>` as infra declares it (`index.handler`, `index.archiveHandler`). */
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly mapping: { batchSize: number; batchWindowSeconds: number; reportBatchItemFailures: boolean };
  readonly queueUrl: string;
  readonly region: string;
  readonly controlUrl: string;
  readonly concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
Object.assign(process.env, config.environment);
const log = (message: string, fields?: Record<string, unknown>) =>
  process.stdout.write(
    `${JSON.stringify({ at: new Date().toISOString(), component: 'lambda', msg: message, ...fields })}\n`,
  );

const exported = config.handler.split('.').pop() ?? 'handler';
const handler = ((await import(pathToFileURL(config.bundle).href)) as Record<string, LambdaHandler | undefined>)[
  exported
];
if (!handler) throw new Error(`the bundle exports no ${exported} (infra's handler ${config.handler})`);
const sqs = new SQSClient({
  region: config.region,
  endpoint: config.environment.AWS_ENDPOINT_URL_SQS,
  useQueueUrlAsEndpoint: false,
});
const queueArn =
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn ?? '';
const mapping = new EventSourceMapping(handler, {
  sqs,
  queueUrl: config.queueUrl,
  queueArn,
  region: config.region,
  functionName: config.functionName,
  memoryMb: config.memoryMb,
  timeoutSeconds: config.timeoutSeconds,
  batchSize: config.mapping.batchSize,
  batchWindowSeconds: config.mapping.batchWindowSeconds,
  reportBatchItemFailures: config.mapping.reportBatchItemFailures,
  concurrency: config.concurrency,
  log,
  onInvocation: (invocation) => {
    void fetch(`${config.controlUrl}/lambda`, {
      method: 'POST',
      body: JSON.stringify({ ...invocation, memoryMb: config.memoryMb }),
    }).catch(() => undefined);
  },
});
mapping.start();
process.send?.({ type: 'ready' });
log('event source mapping polling', { queue: config.queueUrl, node: process.version });
const stop = () => {
  mapping.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

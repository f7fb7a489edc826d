/**
 * Pulumi entry point (Pulumi.yaml `main: infra/`): reads the stack's config and declares the AWS
 * deployment. Its exports are the stack outputs (`pulumi stack output`).
 */
import { readSettings } from './settings.js';
import { createStack } from './stack.js';

const [settings, secrets] = readSettings();
const outputs = createStack(settings, secrets);

export const cdnUrl = outputs.cdnUrl;
export const uploadQueueUrl = outputs.uploadQueueUrl;
export const deadLetterQueueUrl = outputs.deadLetterQueueUrl;
export const archiveQueueUrl = outputs.archiveQueueUrl;
export const sourcesBucketName = outputs.sourcesBucketName;
export const resultsBucketName = outputs.resultsBucketName;
export const assetsBucketName = outputs.assetsBucketName;
export const tableName = outputs.tableName;
export const eventBusName = outputs.eventBusName;
export const augmenterFunctionName = outputs.augmenterFunctionName;
export const archiverFunctionName = outputs.archiverFunctionName;
export const gatewayGroupName = outputs.gatewayGroupName;
export const alarmTopicArn = outputs.alarmTopicArn;
export const commit = outputs.commit;

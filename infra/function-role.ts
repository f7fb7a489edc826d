import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { EventDeadLetters } from './event-dead-letters.js';
import { assumeRolePolicy, policyDocument, type Statement } from './iam.js';

/** A Lambda function's log group (14 days), its role, and the role's inline policy. */
export interface FunctionRole {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
}

/**
 * The log group `<name>-logs`, the role `<name>-role` Lambda assumes, and its policy `<name>-policy`:
 * the given statements plus writing to that log group only.
 */
export const functionRole = (name: string, statements: readonly Statement[], parent: pulumi.Resource): FunctionRole => {
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: 14 }, { parent });
  const role = new aws.iam.Role(
    `${name}-role`,
    { assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com') },
    { parent },
  );
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.name,
      policy: policyDocument([
        ...statements,
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: pulumi.interpolate`${logGroup.arn}:*`,
        },
      ]),
    },
    { parent },
  );
  return { logGroup, role, rolePolicy };
};

/**
 * Lets an EventBridge rule invoke a function (a grant scoped to the rule) and targets it, with the
 * stack's retry policy and dead-letter queue; both resources are named `name`.
 */
export const invokeOnRule = (
  name: string,
  rule: aws.cloudwatch.EventRule,
  fn: aws.lambda.Function,
  deadLetters: EventDeadLetters,
  parent: pulumi.Resource,
): aws.cloudwatch.EventTarget => {
  const permission = new aws.lambda.Permission(
    name,
    { action: 'lambda:InvokeFunction', function: fn.name, principal: 'events.amazonaws.com', sourceArn: rule.arn },
    { parent },
  );
  return new aws.cloudwatch.EventTarget(
    name,
    { rule: rule.name, arn: fn.arn, ...deadLetters.targetSettings },
    { parent, dependsOn: [permission] },
  );
};

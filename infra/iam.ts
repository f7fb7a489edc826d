import * as pulumi from '@pulumi/pulumi';

/** One IAM policy statement. `Resource` is always given: no statement of this stack applies to every resource. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: pulumi.Input<
    '*' | { readonly Service?: pulumi.Input<string>; readonly AWS?: pulumi.Input<string | pulumi.Input<string>[]> }
  >;
  readonly Action: pulumi.Input<string> | pulumi.Input<string>[];
  readonly Resource: pulumi.Input<string> | pulumi.Input<string>[];
  readonly Condition?: pulumi.Input<Record<string, pulumi.Input<Record<string, pulumi.Input<string | string[]>>>>>;
}

/** An IAM policy document (JSON) from statements whose ARNs may still be outputs. */
export const policyDocument = (statements: readonly Statement[]): pulumi.Output<string> =>
  pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements });

/** The trust policy letting one AWS service assume a role. */
export const assumeRolePolicy = (service: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/** Refuses plain HTTP on a bucket: a statement for every bucket policy. */
export const denyInsecureTransport = (bucketArn: pulumi.Input<string>): Statement => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

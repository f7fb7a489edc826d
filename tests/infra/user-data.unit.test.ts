import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notifyQueuePrefix } from '../../infra/gateway-fleet.js';
import { type GatewayBootOptions, gatewayUserData, shellQuote } from '../../infra/user-data.js';

export const bootOptions: GatewayBootOptions = {
  region: 'eu-west-1',
  artifactUri: 's3://artifacts/gateway/0123456789abcdef0123456789abcdef01234567.tgz',
  artifactSha256: 'b'.repeat(64),
  commit: '0123456789abcdef0123456789abcdef01234567',
  environment: { ADAPTERS: 'aws', QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/uploads' },
  secretParameters: { API_KEYS: '/delta-augment/prod/API_KEYS' },
  notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:notifications',
  notifyQueuePrefix: 'delta-augment-prod-notify-',
  notifyQueueArnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:delta-augment-prod-notify-',
  logGroupName: '/delta-augment/prod/gateway',
};

describe('the gateway boot script', () => {
  it('writes the plain settings to the service environment', () => {
    // Act
    const script = gatewayUserData(bootOptions);
    // Assess
    assert.match(
      script,
      /\nADAPTERS="aws"\nQUEUE_URL="https:\/\/sqs\.eu-west-1\.amazonaws\.com\/123456789012\/uploads"\n/,
    );
  });

  it('reads secrets from SSM at boot instead of embedding them, and stops if it cannot', () => {
    const script = gatewayUserData(bootOptions);
    assert.match(script, /read_secret API_KEYS '\/delta-augment\/prod\/API_KEYS'/);
    assert.match(script, /refusing to start without/);
  });

  it('runs the artifact of one commit, verified by its SHA-256, and reaches neither GitHub nor npm nor nodejs.org', () => {
    const script = gatewayUserData(bootOptions);
    assert.match(script, /aws s3 cp .* "\$ARTIFACT_URI" \/tmp\/delta-augment\.tgz/);
    assert.match(script, /echo "\$ARTIFACT_SHA256 {2}\/tmp\/delta-augment\.tgz" \| sha256sum -c -/);
    assert.match(script, /dnf install -y nodejs22 /);
    assert.match(script, /ExecStart=\$NODE_BIN --import tsx \$APP_DIR\/apps\/local\/src\/main\.ts/);
    for (const forbidden of [/git clone/, /npm (ci|install|start)/, /nodejs\.org/, /github\.com/]) {
      assert.doesNotMatch(script, forbidden);
    }
  });

  it('refuses an artifact checksum that is not a SHA-256', () => {
    assert.throws(() => gatewayUserData({ ...bootOptions, artifactSha256: 'abc' }), /64 hex digits/);
  });

  it('creates and subscribes its queue idempotently at every service start, and never deletes it', () => {
    const script = gatewayUserData(bootOptions);
    const attributes = JSON.parse(/notify-queue\.json <<'JSON'\n(.*)\nJSON/.exec(script)?.[1] ?? '{}');
    const policy = JSON.parse(attributes.Policy);
    assert.deepEqual(policy.Statement[0].Condition, {
      ArnEquals: { 'aws:SourceArn': bootOptions.notificationTopicArn },
    });
    assert.equal(policy.Statement[0].Resource, `${bootOptions.notifyQueueArnPrefix}@INSTANCE_ID@`);
    assert.match(script, /aws sns subscribe .* --attributes RawMessageDelivery=true/);
    assert.match(script, /ExecStartPre=\+\/usr\/local\/bin\/delta-augment-notify-queue/);
    assert.match(script, /EnvironmentFile=-\/run\/delta-augment-notify\.env/);
    assert.doesNotMatch(script, /delete-queue|ExecStop|sns unsubscribe/);
  });

  it('ships its boot and service logs to CloudWatch Logs', () => {
    const script = gatewayUserData(bootOptions);
    const config = JSON.parse(/<<'AGENT'\n(.*)\nAGENT/.exec(script)?.[1] ?? '{}');
    const files = config.logs.logs_collected.files.collect_list as { file_path: string; log_group_name: string }[];
    assert.deepEqual(
      files.map((f) => [f.file_path, f.log_group_name]),
      [
        ['/var/log/delta-augment/app.log', bootOptions.logGroupName],
        ['/var/log/delta-augment-boot.log', bootOptions.logGroupName],
      ],
    );
    assert.match(script, /StandardOutput=append:\/var\/log\/delta-augment\/app\.log/);
  });

  it('refuses an environment name the shell could misread', () => {
    assert.throws(
      () => gatewayUserData({ ...bootOptions, environment: { 'BAD;rm -rf': 'x' } }),
      /not an environment variable name/,
    );
  });
});

describe('shell quoting', () => {
  it('keeps single quotes inside a single-quoted word', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe('notification queue names', () => {
  it('are valid SQS names of at most 80 characters with the instance id appended', () => {
    const prefix = notifyQueuePrefix('delta-augment', `a.very.long.stack.name.${'x'.repeat(80)}`);
    const name = `${prefix}i-0123456789abcdef0`;
    assert.match(name, /^[A-Za-z0-9_-]{1,80}$/);
    assert.ok(prefix.endsWith('-notify-'));
  });
});

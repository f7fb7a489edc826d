import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notifyQueuePrefix } from '../../infra/gateway-fleet.js';
import { type GatewayBootOptions, gatewayUserData, shellQuote } from '../../infra/user-data.js';

const options: GatewayBootOptions = {
  region: 'eu-west-1',
  appRepository: 'https://git.example.com/delta-augment.git',
  appVersion: 'v1.2.0',
  environment: { ADAPTERS: 'aws', QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/uploads' },
  secretParameters: { API_KEYS: '/delta-augment/prod/API_KEYS' },
  notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:notifications',
  notifyQueuePrefix: 'delta-augment-prod-notify-',
  notifyQueueArnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:delta-augment-prod-notify-',
};

describe('the gateway boot script', () => {
  it('writes the plain settings to the service environment', () => {
    // Act
    const script = gatewayUserData(options);
    // Assess
    assert.match(
      script,
      /\nADAPTERS="aws"\nQUEUE_URL="https:\/\/sqs\.eu-west-1\.amazonaws\.com\/123456789012\/uploads"\n/,
    );
  });

  it('reads secrets from SSM at boot instead of embedding them', () => {
    const script = gatewayUserData(options);
    assert.match(
      script,
      /API_KEYS "\$\(aws ssm get-parameter --region "\$REGION" --with-decryption --name '\/delta-augment\/prod\/API_KEYS'/,
    );
  });

  it('deploys the configured version of the app and starts it with npm start under systemd', () => {
    const script = gatewayUserData(options);
    assert.match(script, /\nAPP_VERSION='v1\.2\.0'\n/);
    assert.match(script, /git clone --depth 1 --branch "\$APP_VERSION" "\$APP_REPOSITORY"/);
    assert.match(script, /npm ci --omit=dev/);
    assert.match(script, /ExecStart=\/usr\/local\/bin\/npm start/);
  });

  it('subscribes a per-instance queue that admits the job-events topic only', () => {
    const script = gatewayUserData(options);
    const attributes = JSON.parse(/notify-queue\.json <<'JSON'\n(.*)\nJSON/.exec(script)?.[1] ?? '{}');
    const policy = JSON.parse(attributes.Policy);
    assert.deepEqual(policy.Statement[0].Condition, { ArnEquals: { 'aws:SourceArn': options.notificationTopicArn } });
    assert.equal(policy.Statement[0].Resource, `${options.notifyQueueArnPrefix}@INSTANCE_ID@`);
    assert.match(script, /aws sns subscribe .* --attributes RawMessageDelivery=true/);
    assert.match(script, /ExecStop=\/usr\/local\/bin\/delta-augment-notify-cleanup/);
  });

  it('refuses an environment name the shell could misread', () => {
    assert.throws(
      () => gatewayUserData({ ...options, environment: { 'BAD;rm -rf': 'x' } }),
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

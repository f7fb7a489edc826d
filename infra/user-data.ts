import { NODE_MAJOR } from './runtime.js';

/** Inputs of the gateway instances' boot script, every value resolved. */
export interface GatewayBootOptions {
  readonly region: string;
  readonly appRepository: string;
  readonly appVersion: string;
  /** Plain settings written to the service's environment file (`ADAPTERS`, `QUEUE_URL`, ...). */
  readonly environment: Readonly<Record<string, string>>;
  /** Secret settings: env name → SSM SecureString parameter name, read at boot. */
  readonly secretParameters: Readonly<Record<string, string>>;
  /** SNS topic carrying job events; the instance subscribes its own queue to it. */
  readonly notificationTopicArn: string;
  /** Name prefix of the per-instance notification queues (the instance id is appended). */
  readonly notifyQueuePrefix: string;
  /** ARN prefix of those queues (`arn:<partition>:sqs:<region>:<account>:<prefix>`). */
  readonly notifyQueueArnPrefix: string;
}

/** Single-quotes a value for bash. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * The boot script (cloud-init user data) of a gateway instance on Amazon Linux 2023: installs
 * Node 22 (`NODE_MAJOR`) from nodejs.org (checksum-verified), clones the app at `appVersion`, runs `npm ci
 * --omit=dev`, creates this instance's notification queue (SNS fan-out of job events; deleted again
 * on shutdown), reads the secret settings from SSM, and runs `npm start` under systemd as an
 * unprivileged user with `ADAPTERS=aws` and the stack's resource names in its environment.
 */
export const gatewayUserData = (o: GatewayBootOptions): string => {
  for (const name of [...Object.keys(o.environment), ...Object.keys(o.secretParameters)]) {
    if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${name}`);
  }
  const envLines = Object.entries(o.environment)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join('\n');
  const secretReads = Object.entries(o.secretParameters)
    .map(
      ([name, parameter]) =>
        `printf '%s=%s\\n' ${name} "$(aws ssm get-parameter --region "$REGION" --with-decryption --name ${shellQuote(parameter)} --query Parameter.Value --output text)" >> /etc/delta-augment/env`,
    )
    .join('\n');
  // The queue admits the job-events topic only; @INSTANCE_ID@ is replaced at boot.
  const queueAttributes = JSON.stringify({
    MessageRetentionPeriod: '300',
    ReceiveMessageWaitTimeSeconds: '20',
    SqsManagedSseEnabled: 'true',
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: `${o.notifyQueueArnPrefix}@INSTANCE_ID@`,
          Condition: { ArnEquals: { 'aws:SourceArn': o.notificationTopicArn } },
        },
      ],
    }),
  });

  return `#!/bin/bash
# Delta Augment gateway + notifier boot script (rendered by infra/user-data.ts).
set -euo pipefail
exec > >(tee -a /var/log/delta-augment-boot.log) 2>&1

REGION=${shellQuote(o.region)}
APP_REPOSITORY=${shellQuote(o.appRepository)}
APP_VERSION=${shellQuote(o.appVersion)}
TOPIC_ARN=${shellQuote(o.notificationTopicArn)}
NOTIFY_QUEUE_PREFIX=${shellQuote(o.notifyQueuePrefix)}
APP_DIR=/opt/delta-augment

dnf install -y git tar xz

# Node.js ${NODE_MAJOR} from nodejs.org, verified against its SHASUMS256.txt.
case "$(uname -m)" in x86_64) NODE_ARCH=x64 ;; aarch64) NODE_ARCH=arm64 ;; *) echo "unsupported CPU" >&2; exit 1 ;; esac
NODE_DIST=https://nodejs.org/dist/latest-v${NODE_MAJOR}.x
cd /tmp
curl -fsSLO "$NODE_DIST/SHASUMS256.txt"
NODE_TARBALL=$(awk -v want="linux-$NODE_ARCH.tar.xz" 'index($2, want) && substr($2, length($2) - length(want) + 1) == want { print $2 }' SHASUMS256.txt)
curl -fsSLO "$NODE_DIST/$NODE_TARBALL"
grep " $NODE_TARBALL\\$" SHASUMS256.txt | sha256sum -c -
tar -xJf "$NODE_TARBALL" -C /usr/local --strip-components=1
node --version

# The app, installed without dev dependencies, owned by an unprivileged user.
id delta >/dev/null 2>&1 || useradd --system --home-dir "$APP_DIR" --shell /sbin/nologin delta
rm -rf "$APP_DIR"
git clone --depth 1 --branch "$APP_VERSION" "$APP_REPOSITORY" "$APP_DIR"
cd "$APP_DIR"
npm ci --omit=dev --no-audit --no-fund
chown -R delta:delta "$APP_DIR"

# This instance's notification queue: job events reach every notifier through SNS fan-out.
IMDS_TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
INSTANCE_ID=$(curl -fsS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
mkdir -p /etc/delta-augment
cat > /etc/delta-augment/notify-queue.json <<'JSON'
${queueAttributes}
JSON
sed -i "s/@INSTANCE_ID@/$INSTANCE_ID/" /etc/delta-augment/notify-queue.json
NOTIFY_QUEUE_URL=$(aws sqs create-queue --region "$REGION" --queue-name "$NOTIFY_QUEUE_PREFIX$INSTANCE_ID" --attributes file:///etc/delta-augment/notify-queue.json --query QueueUrl --output text)
NOTIFY_QUEUE_ARN=$(aws sqs get-queue-attributes --region "$REGION" --queue-url "$NOTIFY_QUEUE_URL" --attribute-names QueueArn --query Attributes.QueueArn --output text)
SUBSCRIPTION_ARN=$(aws sns subscribe --region "$REGION" --topic-arn "$TOPIC_ARN" --protocol sqs --notification-endpoint "$NOTIFY_QUEUE_ARN" --attributes RawMessageDelivery=true --return-subscription-arn --query SubscriptionArn --output text)
cat > /usr/local/bin/delta-augment-notify-cleanup <<CLEANUP
#!/bin/bash
aws sns unsubscribe --region '$REGION' --subscription-arn '$SUBSCRIPTION_ARN' || true
aws sqs delete-queue --region '$REGION' --queue-url '$NOTIFY_QUEUE_URL' || true
CLEANUP
chmod 755 /usr/local/bin/delta-augment-notify-cleanup

# The service's environment: plain settings, then the secrets from SSM Parameter Store.
umask 077
cat > /etc/delta-augment/env <<'ENV'
${envLines}
ENV
printf 'NOTIFY_QUEUE_URL=%s\\n' "$NOTIFY_QUEUE_URL" >> /etc/delta-augment/env
${secretReads}
umask 022

cat > /etc/systemd/system/delta-augment-notify.service <<'UNIT'
[Unit]
Description=Delta Augment notification queue (removed on shutdown)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/bin/delta-augment-notify-cleanup

[Install]
WantedBy=multi-user.target
UNIT

cat > /etc/systemd/system/delta-augment.service <<'UNIT'
[Unit]
Description=Delta Augment gateway and notifier
Wants=network-online.target
After=network-online.target delta-augment-notify.service

[Service]
User=delta
WorkingDirectory=/opt/delta-augment
EnvironmentFile=/etc/delta-augment/env
StateDirectory=delta-augment
ExecStart=/usr/local/bin/npm start
Restart=always
RestartSec=2
TimeoutStopSec=30
LimitNOFILE=65536
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now delta-augment-notify.service delta-augment.service
`;
};

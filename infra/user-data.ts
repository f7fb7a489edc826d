/** Inputs of the gateway instances' boot script, every value resolved. */
export interface GatewayBootOptions {
  readonly region: string;
  /** The gateway artifact: `s3://<bucket>/<key>` of the tarball built for one commit. */
  readonly artifactUri: string;
  /** Its SHA-256 (hex): the instance refuses any other bytes. */
  readonly artifactSha256: string;
  /** The commit the artifact was built from (shown in logs and the instance tags). */
  readonly commit: string;
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
  /** CloudWatch Logs group the instance ships its boot and service logs to. */
  readonly logGroupName: string;
}

/** The gateway's entry inside the artifact (run with `node --import tsx`, as `npm start` does). */
export const GATEWAY_ENTRY = 'apps/local/src/main.ts';

/** Single-quotes a value for bash. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Reads each secret from SSM into the service environment, failing closed: a parameter that cannot
 * be read (no permission, throttled, missing) stops the boot, so the instance never serves without
 * its keys (the app would otherwise start with no API keys). Its own function so that a test runs it.
 */
export const secretReadScript = (secretParameters: Readonly<Record<string, string>>, envFile: string): string =>
  [
    'read_secret() {',
    '  local value',
    '  if ! value=$(aws ssm get-parameter --region "$REGION" --with-decryption --name "$2" --query Parameter.Value --output text); then',
    '    echo "cannot read $2 from SSM Parameter Store: refusing to start without $1" >&2',
    '    exit 1',
    '  fi',
    '  if [ -z "$value" ] || [ "$value" = None ]; then echo "$2 is empty: refusing to start" >&2; exit 1; fi',
    `  printf '%s=%s\\n' "$1" "$value" >> ${shellQuote(envFile)}`,
    '}',
    ...Object.entries(secretParameters).map(([name, parameter]) => `read_secret ${name} ${shellQuote(parameter)}`),
  ].join('\n');

/** The tag naming the instance that owns a notification queue: its value is the caller's `aws:userid`. */
export const NOTIFY_OWNER_TAG = 'delta-augment-notify-owner';

/**
 * Creates (or finds) this instance's notification queue, tagged with the instance role session's
 * `aws:userid` (`<role id>:<instance id>`, which IAM also knows), and subscribes it to the job-events
 * topic; writes its URL for the service. Both calls are idempotent. IAM lets an instance read only
 * the queue whose owner tag equals its own user id, and create a queue only with that tag. Its own
 * function so that a test runs it (reads `/etc/delta-augment/notify.conf` unless `NOTIFY_CONF` is set).
 */
export const notifyQueueScript = (): string =>
  [
    '#!/bin/bash',
    'set -euo pipefail',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash parameter expansion
    '. "${NOTIFY_CONF:-/etc/delta-augment/notify.conf}"',
    "IMDS_TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    'INSTANCE_ID=$(curl -fsS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)',
    'OWNER=$(aws sts get-caller-identity --region "$REGION" --query UserId --output text)',
    'case "$OWNER" in',
    '  *":$INSTANCE_ID") ;;',
    '  *) echo "caller $OWNER is not the role session of instance $INSTANCE_ID: refusing to create its queue" >&2; exit 1 ;;',
    'esac',
    'sed "s/@INSTANCE_ID@/$INSTANCE_ID/" "$QUEUE_ATTRIBUTES" > "$RUN_DIR/delta-augment-notify-queue.json"',
    `NOTIFY_QUEUE_URL=$(aws sqs create-queue --region "$REGION" --queue-name "$NOTIFY_QUEUE_PREFIX$INSTANCE_ID" --attributes "file://$RUN_DIR/delta-augment-notify-queue.json" --tags "{\\"${NOTIFY_OWNER_TAG}\\":\\"$OWNER\\"}" --query QueueUrl --output text)`,
    'NOTIFY_QUEUE_ARN=$(aws sqs get-queue-attributes --region "$REGION" --queue-url "$NOTIFY_QUEUE_URL" --attribute-names QueueArn --query Attributes.QueueArn --output text)',
    'aws sns subscribe --region "$REGION" --topic-arn "$TOPIC_ARN" --protocol sqs --notification-endpoint "$NOTIFY_QUEUE_ARN" --attributes RawMessageDelivery=true --return-subscription-arn --output text >/dev/null',
    'printf \'NOTIFY_QUEUE_URL=%s\\n\' "$NOTIFY_QUEUE_URL" > "$RUN_DIR/delta-augment-notify.env"',
  ].join('\n');

/**
 * The boot script (cloud-init user data) of a gateway instance on Amazon Linux 2023. It reaches
 * neither GitHub nor npm nor nodejs.org: Node 22 and the CloudWatch agent come from the Amazon Linux
 * repositories (served from S3, through the VPC's gateway endpoint), and the app is the tarball built
 * for one commit, copied from the artifacts bucket and checked against its SHA-256. Secrets come from
 * SSM (fail closed). The service's `ExecStartPre` creates and subscribes this instance's notification
 * queue idempotently on every start, so a reboot or a restart finds (or recreates) it; nothing on the
 * instance deletes it: the janitor function does, on the group's terminate lifecycle action.
 */
export const gatewayUserData = (o: GatewayBootOptions): string => {
  for (const name of [...Object.keys(o.environment), ...Object.keys(o.secretParameters)]) {
    if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${name}`);
  }
  if (!/^[0-9a-f]{64}$/.test(o.artifactSha256)) throw new Error('artifactSha256 must be 64 hex digits');
  const envLines = Object.entries(o.environment)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join('\n');
  // The queue admits the job-events topic only; @INSTANCE_ID@ is replaced when the service starts.
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
  const agentConfig = JSON.stringify({
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: '/var/log/delta-augment/app.log',
              log_group_name: o.logGroupName,
              log_stream_name: '{instance_id}/app',
            },
            {
              file_path: '/var/log/delta-augment-boot.log',
              log_group_name: o.logGroupName,
              log_stream_name: '{instance_id}/boot',
            },
          ],
        },
      },
    },
  });

  return `#!/bin/bash
# Delta Augment gateway + notifier boot script (rendered by infra/user-data.ts).
set -euo pipefail
exec > >(tee -a /var/log/delta-augment-boot.log) 2>&1

REGION=${shellQuote(o.region)}
ARTIFACT_URI=${shellQuote(o.artifactUri)}
ARTIFACT_SHA256=${shellQuote(o.artifactSha256)}
COMMIT=${shellQuote(o.commit)}
TOPIC_ARN=${shellQuote(o.notificationTopicArn)}
NOTIFY_QUEUE_PREFIX=${shellQuote(o.notifyQueuePrefix)}
APP_DIR=/opt/delta-augment

# Node.js 22 and the CloudWatch agent from the Amazon Linux repositories (served from S3): nothing else is downloaded.
dnf install -y nodejs22 amazon-cloudwatch-agent tar gzip
NODE_BIN=$(command -v node-22 || command -v node)
"$NODE_BIN" --version

# The app: the artifact of commit $COMMIT, verified, owned by root and read-only to the service user.
aws s3 cp --region "$REGION" --only-show-errors "$ARTIFACT_URI" /tmp/delta-augment.tgz
echo "$ARTIFACT_SHA256  /tmp/delta-augment.tgz" | sha256sum -c -
id delta >/dev/null 2>&1 || useradd --system --home-dir "$APP_DIR" --shell /sbin/nologin delta
rm -rf "$APP_DIR"
mkdir -p "$APP_DIR" /var/log/delta-augment /etc/delta-augment
tar -xzf /tmp/delta-augment.tgz -C "$APP_DIR" --no-same-owner
rm -f /tmp/delta-augment.tgz
chown delta:delta /var/log/delta-augment

# Logs to CloudWatch Logs: they outlive the instance.
cat > /opt/aws/amazon-cloudwatch-agent/etc/delta-augment.json <<'AGENT'
${agentConfig}
AGENT
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/delta-augment.json
cat > /etc/logrotate.d/delta-augment <<'ROTATE'
/var/log/delta-augment/app.log {
  daily
  rotate 3
  compress
  missingok
  copytruncate
}
ROTATE

# This instance's notification queue (job events reach every notifier through SNS fan-out). Created
# and subscribed by ExecStartPre on every service start: both calls are idempotent.
cat > /etc/delta-augment/notify-queue.json <<'JSON'
${queueAttributes}
JSON
cat > /etc/delta-augment/notify.conf <<CONF
REGION=$REGION
TOPIC_ARN=$TOPIC_ARN
NOTIFY_QUEUE_PREFIX=$NOTIFY_QUEUE_PREFIX
QUEUE_ATTRIBUTES=/etc/delta-augment/notify-queue.json
RUN_DIR=/run
CONF
cat > /usr/local/bin/delta-augment-notify-queue <<'NOTIFY'
${notifyQueueScript()}
NOTIFY
chmod 755 /usr/local/bin/delta-augment-notify-queue

# The service's environment: plain settings, then the secrets from SSM Parameter Store (fail closed).
umask 077
cat > /etc/delta-augment/env <<'ENV'
${envLines}
ENV
${secretReadScript(o.secretParameters, '/etc/delta-augment/env')}
umask 022

cat > /etc/systemd/system/delta-augment.service <<UNIT
[Unit]
Description=Delta Augment gateway and notifier ($COMMIT)
Wants=network-online.target
After=network-online.target

[Service]
User=delta
WorkingDirectory=$APP_DIR
EnvironmentFile=/etc/delta-augment/env
EnvironmentFile=-/run/delta-augment-notify.env
ExecStartPre=+/usr/local/bin/delta-augment-notify-queue
ExecStart=$NODE_BIN --import tsx $APP_DIR/${GATEWAY_ENTRY}
StandardOutput=append:/var/log/delta-augment/app.log
StandardError=append:/var/log/delta-augment/app.log
StateDirectory=delta-augment
Restart=always
RestartSec=2
TimeoutStopSec=30
LimitNOFILE=65536
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now delta-augment.service
`;
};

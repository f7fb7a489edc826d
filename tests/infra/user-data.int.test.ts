import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gatewayUserData, NOTIFY_OWNER_TAG, notifyQueueScript, secretReadScript } from '../../infra/user-data.js';

const run = promisify(execFile);

describe('the gateway boot script', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'da-user-data-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when values hold quotes and shell metacharacters', () => {
    it('is a valid bash script that assigns them verbatim', async () => {
      // Prepare
      const uri = "s3://bucket/it's $(not run) `either`.tgz";
      const script = gatewayUserData({
        region: 'eu-west-1',
        artifactUri: uri,
        artifactSha256: 'c'.repeat(64),
        commit: '0123456789abcdef0123456789abcdef01234567',
        environment: { ADAPTERS: 'aws' },
        secretParameters: { ADMIN_KEY: '/delta-augment/test/ADMIN_KEY' },
        notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:notifications',
        notifyQueuePrefix: 'delta-augment-test-notify-',
        notifyQueueArnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:delta-augment-test-notify-',
        logGroupName: '/delta-augment/test/gateway',
      });
      const file = join(dir, 'user-data.sh');
      await writeFile(file, script);
      // The assignments only (up to the first command), to read back the quoted value.
      const header = script.slice(0, script.indexOf('dnf install'));
      await writeFile(join(dir, 'header.sh'), `${header.replace(/^exec .*$/m, '')}\nprintf '%s' "$ARTIFACT_URI"\n`);

      // Act
      const syntax = await run('bash', ['-n', file]);
      const echoed = await run('bash', [join(dir, 'header.sh')]);

      // Assess
      assert.equal(syntax.stderr, '');
      assert.equal(echoed.stdout, uri);
    });
  });

  describe('when a secret cannot be read from SSM at boot', () => {
    it('fails closed: exits non-zero and writes no environment entry for it', async () => {
      // Prepare: an `aws` on PATH that fails as an access-denied SSM call would
      const bin = join(dir, 'bin');
      await run('mkdir', ['-p', bin]);
      await writeFile(join(bin, 'aws'), '#!/bin/bash\necho "AccessDeniedException" >&2\nexit 254\n');
      await chmod(join(bin, 'aws'), 0o755);
      const envFile = join(dir, 'env');
      await writeFile(envFile, 'ADAPTERS="aws"\n');
      const script = `set -euo pipefail\nREGION=eu-west-1\n${secretReadScript({ API_KEYS: '/da/test/API_KEYS' }, envFile)}\necho started\n`;
      // Act
      const result = await run('bash', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` } }).then(
        (r) => ({ code: 0, ...r }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      // Assess
      assert.notEqual(result.code, 0);
      assert.doesNotMatch(result.stdout, /started/);
      assert.match(result.stderr, /refusing to start without API_KEYS/);
      assert.equal(await readFile(envFile, 'utf8'), 'ADAPTERS="aws"\n');
    });

    it('appends the secret when the read succeeds', async () => {
      const bin = join(dir, 'bin');
      await run('mkdir', ['-p', bin]);
      await writeFile(join(bin, 'aws'), '#!/bin/bash\necho "k3y-0123456789abcdef:alice"\n');
      await chmod(join(bin, 'aws'), 0o755);
      const envFile = join(dir, 'env');
      await writeFile(envFile, '');
      const script = `set -euo pipefail\nREGION=eu-west-1\n${secretReadScript({ API_KEYS: '/da/test/API_KEYS' }, envFile)}\n`;
      await run('bash', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` } });
      assert.equal(await readFile(envFile, 'utf8'), 'API_KEYS=k3y-0123456789abcdef:alice\n');
    });
  });

  describe('when the service starts and creates its notification queue', () => {
    /** Fake `curl` (IMDS) and `aws` (records each call, answers as AWS would) on PATH. */
    const prepare = async (userId: string) => {
      const bin = join(dir, 'bin');
      await run('mkdir', ['-p', bin]);
      await writeFile(
        join(bin, 'curl'),
        '#!/bin/bash\ncase "$*" in *api/token*) echo token ;; *instance-id*) echo i-0abc ;; esac\n',
      );
      await writeFile(
        join(bin, 'aws'),
        [
          '#!/bin/bash',
          `printf '%s\\n' "$*" >> ${JSON.stringify(join(dir, 'calls'))}`,
          'case "$1 $2" in',
          `  "sts get-caller-identity") echo ${JSON.stringify(userId)} ;;`,
          '  "sqs create-queue") echo https://sqs.eu-west-1.amazonaws.com/123456789012/da-notify-i-0abc ;;',
          '  "sqs get-queue-attributes") echo arn:aws:sqs:eu-west-1:123456789012:da-notify-i-0abc ;;',
          'esac',
        ].join('\n'),
      );
      await chmod(join(bin, 'curl'), 0o755);
      await chmod(join(bin, 'aws'), 0o755);
      await writeFile(join(dir, 'attributes.json'), '{"Policy":"@INSTANCE_ID@"}');
      await writeFile(
        join(dir, 'notify.conf'),
        `REGION=eu-west-1\nTOPIC_ARN=arn:aws:sns:eu-west-1:123456789012:events\nNOTIFY_QUEUE_PREFIX=da-notify-\nQUEUE_ATTRIBUTES=${dir}/attributes.json\nRUN_DIR=${dir}\n`,
      );
      const script = join(dir, 'notify.sh');
      await writeFile(script, notifyQueueScript());
      return () =>
        run('bash', [script], { env: { PATH: `${bin}:/usr/bin:/bin`, NOTIFY_CONF: join(dir, 'notify.conf') } }).then(
          (r) => ({ code: 0, ...r }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
    };

    it('tags the queue with its own role session as owner, subscribes it over SQS and hands its URL to the service', async () => {
      // Prepare
      const start = await prepare('AROAEXAMPLEROLEID:i-0abc');
      // Act
      const result = await start();
      // Assess
      assert.equal(result.code, 0, result.stderr);
      const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
      const create = calls.find((c) => c.startsWith('sqs create-queue')) ?? '';
      assert.match(create, /--queue-name da-notify-i-0abc /);
      assert.ok(create.includes(`--tags {"${NOTIFY_OWNER_TAG}":"AROAEXAMPLEROLEID:i-0abc"}`), create);
      assert.equal(await readFile(join(dir, 'delta-augment-notify-queue.json'), 'utf8'), '{"Policy":"i-0abc"}');
      assert.ok(
        calls.some((c) =>
          /^sns subscribe .*--protocol sqs --notification-endpoint arn:aws:sqs:\S+:da-notify-i-0abc /.test(c),
        ),
      );
      assert.equal(
        await readFile(join(dir, 'delta-augment-notify.env'), 'utf8'),
        'NOTIFY_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/da-notify-i-0abc\n',
      );
    });

    it('refuses to create a queue when its credentials are not the instance role session of this instance', async () => {
      // Prepare: credentials of some other principal (a copied key, another instance)
      const start = await prepare('AIDAEXAMPLEUSER');
      // Act
      const result = await start();
      // Assess
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /not the role session of instance i-0abc/);
      const calls = await readFile(join(dir, 'calls'), 'utf8');
      assert.doesNotMatch(calls, /create-queue/);
    });
  });
});

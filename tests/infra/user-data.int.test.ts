import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gatewayUserData } from '../../infra/user-data.js';

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
      const repository = "https://git.example.com/it's $(not run) `either`.git";
      const script = gatewayUserData({
        region: 'eu-west-1',
        appRepository: repository,
        appVersion: 'main',
        environment: { ADAPTERS: 'aws' },
        secretParameters: { ADMIN_KEY: '/delta-augment/test/ADMIN_KEY' },
        notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:notifications',
        notifyQueuePrefix: 'delta-augment-test-notify-',
        notifyQueueArnPrefix: 'arn:aws:sqs:eu-west-1:123456789012:delta-augment-test-notify-',
      });
      const file = join(dir, 'user-data.sh');
      await writeFile(file, script);
      // The assignments only (up to the first command), to read back the quoted value.
      const header = script.slice(0, script.indexOf('dnf install'));
      await writeFile(join(dir, 'header.sh'), `${header.replace(/^exec .*$/m, '')}\nprintf '%s' "$APP_REPOSITORY"\n`);

      // Act
      const syntax = await promisify(execFile)('bash', ['-n', file]);
      const echoed = await promisify(execFile)('bash', [join(dir, 'header.sh')]);

      // Assess
      assert.equal(syntax.stderr, '');
      assert.equal(echoed.stdout, repository);
    });
  });
});

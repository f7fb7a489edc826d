import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gatewayUserData, secretReadScript } from '../../infra/user-data.js';

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
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InfraConfigError } from '../../infra/errors.js';
import { instanceArchitecture, type RawSettings, resolveSettings, visibilityTimeoutFor } from '../../infra/settings.js';

const base: RawSettings = { appRepository: 'https://git.example.com/delta-augment.git' };

const rejects = (raw: RawSettings, key: string) => {
  assert.throws(
    () => resolveSettings({ ...base, ...raw }),
    (error: unknown) => error instanceof InfraConfigError && error.key === key && error.code === 'INFRA_CONFIG',
  );
};

describe('stack settings', () => {
  describe('when only the app repository is configured', () => {
    it('uses the documented defaults', () => {
      // Act
      const settings = resolveSettings(base);
      // Assess
      assert.deepEqual(settings, {
        maxReceiveCount: 5,
        lambdaMemoryMb: 1920,
        maxPixels: 40_000_000,
        maxFileBytes: 25 * 1024 * 1024,
        renderConcurrency: 2,
        lambdaTimeoutSeconds: 120,
        lambdaArchitecture: 'arm64',
        batchSize: 2,
        batchWindowSeconds: 1,
        maxConcurrency: 20,
        instanceType: 't4g.small',
        minSize: 2,
        maxSize: 6,
        retentionDays: 27,
        appRepository: 'https://git.example.com/delta-augment.git',
        appVersion: 'main',
        corsOrigins: [],
      });
    });
  });

  describe('when values are given', () => {
    it('parses numbers, lists and optional settings', () => {
      const settings = resolveSettings({
        ...base,
        maxReceiveCount: '3',
        corsOrigins: 'https://a.example, https://b.example',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        alarmEmail: 'ops@example.com',
      });
      assert.equal(settings.maxReceiveCount, 3);
      assert.deepEqual(settings.corsOrigins, ['https://a.example', 'https://b.example']);
      assert.equal(settings.certificateArn, 'arn:aws:acm:eu-west-1:123456789012:certificate/abc');
      assert.equal(settings.alarmEmail, 'ops@example.com');
    });
  });

  describe('when a value cannot be deployed', () => {
    it('requires the app repository', () => rejects({ appRepository: '' }, 'appRepository'));
    it('rejects a wildcard CORS origin', () => rejects({ corsOrigins: '*' }, 'corsOrigins'));
    it('rejects less Lambda memory than the pixel limit and batch need', () =>
      rejects({ lambdaMemoryMb: '1024' }, 'lambdaMemoryMb'));
    it('rejects a batch of 40 MP images that no Lambda can hold', () =>
      rejects({ batchSize: '20', batchWindowSeconds: '1' }, 'batchSize'));
    it('rejects a Lambda timeout over 900 s', () => rejects({ lambdaTimeoutSeconds: '901' }, 'lambdaTimeoutSeconds'));
    it('rejects a non-integer receive count', () => rejects({ maxReceiveCount: '2.5' }, 'maxReceiveCount'));
    it('rejects an unknown architecture', () => rejects({ lambdaArchitecture: 'arm' }, 'lambdaArchitecture'));
    it('rejects a concurrency cap below the SQS minimum of 2', () =>
      rejects({ maxConcurrency: '1' }, 'maxConcurrency'));
    it('rejects batches over 10 without a batching window', () =>
      rejects({ batchSize: '11', batchWindowSeconds: '0' }, 'batchWindowSeconds'));
    it('rejects a minimum fleet larger than the maximum', () => rejects({ minSize: '5', maxSize: '4' }, 'minSize'));
    it('rejects a malformed instance type', () => rejects({ instanceType: 'large' }, 'instanceType'));
  });
});

describe('instance architecture', () => {
  it('is arm64 for Graviton families and x86_64 otherwise', () => {
    const cases = Object.fromEntries(
      [
        't4g.small',
        'm7g.large',
        'c6gn.xlarge',
        'r8gd.medium',
        't3.small',
        'm7i.large',
        'm7i-flex.large',
        'g5.xlarge',
      ].map((type) => [type, instanceArchitecture(type)]),
    );
    assert.deepEqual(cases, {
      't4g.small': 'arm64',
      'm7g.large': 'arm64',
      'c6gn.xlarge': 'arm64',
      'r8gd.medium': 'arm64',
      't3.small': 'x86_64',
      'm7i.large': 'x86_64',
      'm7i-flex.large': 'x86_64',
      'g5.xlarge': 'x86_64',
    });
  });
});

describe('visibility timeout', () => {
  it('is six times the Lambda timeout', () => {
    assert.equal(visibilityTimeoutFor(120), 720);
    assert.equal(visibilityTimeoutFor(900), 5400);
  });
});

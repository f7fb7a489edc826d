import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO } from '../helpers/server.js';
import { synthesize } from '../infra/mock-stack.js';

interface Rule {
  readonly alert: string;
  readonly annotations: { readonly aws_alarms?: string };
}

describe('the alert rules in docs/alerts.yml (their metrics are checked in tests/gateway/platform.int.test.ts)', () => {
  let rules: Rule[];

  before(async () => {
    const file = parse(await readFile(`${REPO}/docs/alerts.yml`, 'utf8')) as { groups: { rules: Rule[] }[] };
    rules = file.groups.flatMap((group) => group.rules);
  });

  it('cover a dead-letter queue that is not empty, old messages and error rates', () => {
    assert.deepEqual(
      rules.map((rule) => rule.alert),
      ['DeadLetterQueueNotEmpty', 'OldestMessageTooOld', 'HighServerErrorRate', 'HighJobFailureRate'],
    );
  });

  it('name the CloudWatch alarms that infra creates for the same condition on AWS', async () => {
    const stack = await synthesize({ alarmEmail: 'ops@example.com' });
    const alarms = new Set(
      stack.resources
        .filter((resource) => resource.type === 'aws:cloudwatch/metricAlarm:MetricAlarm')
        .map((resource) => resource.name),
    );
    for (const rule of rules) {
      const named = (rule.annotations.aws_alarms ?? '').split(',').map((name) => name.trim());
      assert.ok(named.length > 0 && named[0] !== '', `${rule.alert} names no CloudWatch alarm`);
      for (const name of named)
        assert.ok(alarms.has(`monitoring-${name}`), `${rule.alert}: no alarm monitoring-${name}`);
    }
  });
});

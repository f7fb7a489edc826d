import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { type TestApp, testApp } from '../helpers/app.js';
import { REPO } from '../helpers/server.js';
import { synthesize } from '../infra/mock-stack.js';

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly annotations: { readonly aws_alarms?: string };
}

/** The series an expression reads: `delta_…` names without a histogram's `_count`/`_sum`/`_bucket`. */
const metricsIn = (expr: string): string[] => [
  ...new Set([...expr.matchAll(/\bdelta_[a-z_]+/g)].map(([name]) => name.replace(/_(count|sum|bucket)$/, ''))),
];

describe('the alert rules in docs/alerts.yml', () => {
  let t: TestApp;
  let rules: Rule[];
  let exposition: string;

  before(async () => {
    const file = parse(await readFile(`${REPO}/docs/alerts.yml`, 'utf8')) as { groups: { rules: Rule[] }[] };
    rules = file.groups.flatMap((group) => group.rules);
    t = await testApp();
    exposition = (await t.app.inject('/metrics')).body;
  });
  after(() => t?.close());

  it('cover a dead-letter queue that is not empty, old messages and error rates', () => {
    assert.deepEqual(
      rules.map((rule) => rule.alert),
      ['DeadLetterQueueNotEmpty', 'OldestMessageTooOld', 'HighServerErrorRate', 'HighJobFailureRate'],
    );
  });

  it('read only metrics that the gateway exposes on /metrics', () => {
    for (const rule of rules) {
      const names = metricsIn(rule.expr);
      assert.ok(names.length > 0, `${rule.alert} reads no delta_ metric`);
      for (const name of names) {
        assert.match(exposition, new RegExp(`^# TYPE ${name} `, 'm'), `${rule.alert}: /metrics has no ${name}`);
      }
    }
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

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { signWebhook } from '../../packages/gateway/src/webhooks/signature.js';
import { readmeSnippet } from '../helpers/readme.js';
import { tempDir } from '../helpers/server.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;
const required = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';

/** A delivery signed as the service signs it (packages/gateway/src/webhooks/signature.ts). */
const delivery = (secret: string, ageSeconds = 0) => {
  const timestamp = Math.floor(Date.now() / 1000) - ageSeconds;
  const body = JSON.stringify({ id: 'wh_1', type: 'job.completed', job: { id: 'j_1', status: 'completed' } });
  return { timestamp: String(timestamp), signature: signWebhook(secret, timestamp, body), body };
};

describe("the README's webhook verification snippets accept the service's signatures", () => {
  it('Node: verifyDeltaWebhook accepts a signed delivery and refuses a wrong secret, a changed body, an old one', async () => {
    // Prepare
    const file = join(tempDir('delta-readme-'), 'verify.mjs');
    writeFileSync(file, readmeSnippet('webhook-node'));
    const { verifyDeltaWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyDeltaWebhook: (secret: string, headers: Record<string, string>, body: string) => boolean;
    };
    const headersOf = (d: ReturnType<typeof delivery>) => ({
      'delta-timestamp': d.timestamp,
      'delta-signature': d.signature,
    });
    const fresh = delivery('whsec_readme');
    // Act / Assess
    assert.equal(verifyDeltaWebhook('whsec_readme', headersOf(fresh), fresh.body), true);
    assert.equal(verifyDeltaWebhook('whsec_other', headersOf(fresh), fresh.body), false);
    assert.equal(verifyDeltaWebhook('whsec_readme', headersOf(fresh), `${fresh.body} `), false);
    const old = delivery('whsec_readme', 3600);
    assert.equal(verifyDeltaWebhook('whsec_readme', headersOf(old), old.body), false);
  });

  it('Python: verify_delta_webhook and delta_augment.verify_webhook agree with the service', {
    skip: !hasPython && !required ? `${PYTHON} not found: apt-get install python3` : false,
  }, () => {
    // Prepare
    const fresh = delivery('whsec_readme');
    const old = delivery('whsec_readme', 3600);
    const script = [
      readmeSnippet('webhook-python'),
      'import json, os, sys',
      'sys.path.insert(0, os.environ["CLIENT_DIR"])',
      'from delta_augment import verify_webhook',
      'fresh, old = json.loads(os.environ["FRESH"]), json.loads(os.environ["OLD"])',
      'results = []',
      'for check in (verify_delta_webhook, verify_webhook):',
      '    results.append([',
      '        check("whsec_readme", fresh["timestamp"], fresh["signature"], fresh["body"].encode()),',
      '        check("whsec_other", fresh["timestamp"], fresh["signature"], fresh["body"].encode()),',
      '        check("whsec_readme", fresh["timestamp"], fresh["signature"], fresh["body"].encode() + b" "),',
      '        check("whsec_readme", old["timestamp"], old["signature"], old["body"].encode()),',
      '    ])',
      'print(json.dumps(results))',
    ].join('\n');
    // Act
    const run = spawnSync(PYTHON, ['-c', script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: '1',
        CLIENT_DIR: join(import.meta.dirname, '..', '..', 'clients', 'python'),
        FRESH: JSON.stringify(fresh),
        OLD: JSON.stringify(old),
      },
    });
    // Assess
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [
      [true, false, false, false],
      [true, false, false, false],
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runToExit } from './harness.js';

describe('a short soak run with faults, poison and deletions', () => {
  it('ends every accepted job in one terminal event and leaves no orphan, stray or missing file', async () => {
    // Act: the real soak script (gateway, notifier and two worker processes), small
    const { code, output } = await runToExit(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/soak.ts',
        '--uploads',
        '24',
        '--duration',
        '6',
        '--burst',
        '6',
        '--fault-rate',
        '0.1',
        '--poison-rate',
        '0.1',
        '--delete-rate',
        '0.3',
        '--variants',
        '8',
        '--size',
        '640x480',
        '--drain-timeout',
        '90',
        '--json',
      ],
      {},
      240_000,
    );
    // Assess
    const summary = JSON.parse(output.slice(output.indexOf('{'))) as {
      ok: boolean;
      violations: unknown[];
      uploadsAccepted: number;
      deletedWhileProcessing: number;
      terminalEventsSeen: number;
    };
    assert.deepEqual(summary.violations, []);
    assert.equal(summary.ok, true, output);
    assert.equal(code, 0);
    assert.equal(summary.terminalEventsSeen, summary.uploadsAccepted - summary.deletedWhileProcessing);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runToExit } from './harness.js';

describe('a short soak run with faults, poison, deletions and worker kills', () => {
  it('ends every accepted job in one terminal event and leaves no orphan, stray or missing file', async () => {
    // Act: the real soak script (gateway, notifier, reconciler and two worker processes, one of them killed -9 every
    // 6 s and replaced), small
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
        '--kill-every',
        '6',
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
      workerKills: number;
    };
    assert.deepEqual(summary.violations, []);
    assert.equal(summary.ok, true, output);
    assert.equal(code, 0);
    assert.ok(summary.workerKills >= 1, `workers killed: ${summary.workerKills}`);
    assert.equal(summary.terminalEventsSeen, summary.uploadsAccepted - summary.deletedWhileProcessing);
  });
});

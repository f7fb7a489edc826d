import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const packDir = fileURLToPath(new URL('../../infra/policy-pack/', import.meta.url));

describe('the guardrails policy pack entry', () => {
  it('loads under the runtime PulumiPolicy.yaml names and serves the analyzer protocol (prints its port)', {
    timeout: 120_000,
  }, async () => {
    // Prepare: the node arguments the Pulumi policy runtime passes (PulumiPolicy.yaml)
    const manifest = await readFile(`${packDir}PulumiPolicy.yaml`, 'utf8');
    const nodeargs = /nodeargs: "([^"]+)"/.exec(manifest)?.[1]?.split(' ') ?? [];
    assert.deepEqual(nodeargs, ['--import', 'tsx']);
    // Act: start it as the CLI would and wait for the port line
    const child = spawn(process.execPath, [...nodeargs, 'index.ts'], { stdio: 'pipe', cwd: packDir });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
        });
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString('utf8');
        });
        child.on('exit', (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
      });
      // Assess
      assert.match(firstLine.trim(), /^\d+$/);
    } finally {
      child.kill();
    }
  });
});

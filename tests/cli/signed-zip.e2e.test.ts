import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeZip } from '../gateway/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { sharedImage } from '../helpers/images.js';
import { filesUnder, type RunningServer, startServer, tempDir } from '../helpers/server.js';

const PHOTOS = ['aqua.jpg', 'blinds.jpg', 'dune.jpg', 'garden.jpg', 'ladybird.jpg', 'wood.jpg'];

describe('delta-augment augment <zip> --signed-zip against the real local server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { WORKER_PROCESSES: '1' } });
  });
  after(() => server.stop());

  it('creates the job from the zip name and size, PUTs the zip to storage, and extracts the augmented dataset', async () => {
    // Prepare: a class-folder zip (3 + 3)
    const zip = join(tempDir('delta-cli-zip-'), 'photos.zip');
    writeFileSync(
      zip,
      await makeZip(
        PHOTOS.map((name, i) => ({ name: `${i % 2 ? 'plants' : 'scenes'}/${name}`, data: sharedImage(name) })),
      ),
    );
    const out = join(tempDir('delta-cli-out-'), 'augmented');
    // Act
    const run = runCli([
      'augment',
      zip,
      '--signed-zip',
      '--url',
      server.url,
      '--variants',
      '2',
      '--out',
      out,
      '--json',
    ]);
    const code = await run.exited;
    // Assess
    assert.equal(code, 0, run.stderr());
    const files = filesUnder(out);
    assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 12, files.join('\n'));
    assert.equal(files.filter((f) => f.startsWith('plants/')).length, 6);
    const jobId = run.lines.find((l) => l.type === 'job')?.jobId;
    const events = (await (await fetch(`${server.url}/api/jobs/${jobId}/events`)).json()) as
      | { type: string }[]
      | { items: { type: string }[] };
    const types = (Array.isArray(events) ? events : events.items).map((e) => e.type);
    assert.ok(types.includes('DatasetExpanded'), `the zip went through a signed upload: ${types.join(',')}`);
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { sharedImage, sharedImagePath } from '../helpers/images.js';
import { filesUnder, freePort, type RunningServer, startServer, tempDir } from '../helpers/server.js';

const PHOTOS = [
  'aqua.jpg',
  'blinds.jpg',
  'dune.jpg',
  'freshflower.jpg',
  'garden.jpg',
  'greenmeadow.jpg',
  'ladybird.jpg',
  'raindrops.jpg',
  'storm.jpg',
  'twowings.jpg',
  'wood.jpg',
  'yellowflower.jpg',
];

/** A folder of the shared photos in two class folders (6 + 6). */
const photoFolder = (): string => {
  const root = tempDir('delta-cli-in-');
  PHOTOS.forEach((name, i) => {
    const label = i % 2 === 0 ? 'plants' : 'scenes';
    mkdirSync(join(root, label), { recursive: true });
    copyFileSync(sharedImagePath(name), join(root, label, name));
  });
  return root;
};

describe('delta-augment augment against the real local server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { WORKER_PROCESSES: '1' } });
  });
  after(() => server.stop());

  it('turns a folder of photos into an extracted, augmented dataset in one command', async () => {
    // Prepare
    const input = photoFolder();
    const out = join(tempDir('delta-cli-out-'), 'augmented');
    // Act
    const run = runCli([
      'augment',
      input,
      '--url',
      server.url,
      '--variants',
      '2',
      '--seed',
      '7',
      '--out',
      out,
      '--json',
    ]);
    const code = await run.exited;
    // Assess
    assert.equal(code, 0, run.stderr());
    const files = filesUnder(out);
    assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 24, files.join('\n'));
    assert.equal(files.filter((f) => f.startsWith('plants/')).length, 12);
    assert.equal(files.filter((f) => f.startsWith('scenes/')).length, 12);
    assert.ok(files.includes('manifest.json'));
    assert.ok(!existsSync(join(out, '.delta-augment-state.json')), 'the state file is removed when done');
    const types = run.lines.map((l) => l.type);
    for (const phase of ['job', 'upload-start', 'uploaded', 'progress', 'download-start', 'done']) {
      assert.ok(types.includes(phase), `a ${phase} line in ${types.join(',')}`);
    }
    const done = run.lines.find((l) => l.type === 'done');
    assert.equal(done?.failedSources, 0);
  });

  it('survives Ctrl-C mid-upload: the same command resumes the job and uploads only what is missing', async () => {
    // Prepare: slow uploads so that the interrupt lands while files are still on their way
    const input = photoFolder();
    const out = join(tempDir('delta-cli-out-'), 'augmented');
    const args = ['augment', input, '--url', server.url, '--variants', '1', '--out', out, '--json'];
    const first = runCli([...args, '--concurrency', '2', '--limit-rate', '40000']);
    const created = await first.waitForLine((l) => l.type === 'job');
    await first.waitForLine((l) => l.type === 'uploaded');
    // Act
    first.child.kill('SIGINT');
    const interrupted = await first.exited;
    const state = JSON.parse(readFileSync(join(out, '.delta-augment-state.json'), 'utf8')) as { jobId: string };
    const second = runCli(args);
    const resumed = await second.exited;
    // Assess
    assert.equal(interrupted, 130, first.stderr());
    assert.equal(state.jobId, created.jobId);
    assert.equal(resumed, 0, second.stderr());
    assert.deepEqual(
      second.lines.find((l) => l.type === 'job'),
      { type: 'job', jobId: created.jobId, resumed: true },
    );
    const uploadedFirst = first.lines.filter((l) => l.type === 'uploaded').length;
    const skipped = second.lines.filter((l) => l.type === 'uploaded' && l.skipped === true).length;
    const sent = second.lines.filter((l) => l.type === 'uploaded' && l.skipped === false).length;
    assert.ok(uploadedFirst >= 1 && sent >= 1, `first run ${uploadedFirst}, resumed run sent ${sent}`);
    assert.ok(skipped >= uploadedFirst, `the resumed run skips what the first stored (${skipped} >= ${uploadedFirst})`);
    assert.equal(skipped + sent, 12);
    assert.equal(filesUnder(out).filter((f) => f.endsWith('.jpg')).length, 12);
  });

  it('exits 3 when the job fails (every source is a truncated JPEG)', async () => {
    // Prepare
    const input = tempDir('delta-cli-bad-');
    writeFileSync(join(input, 'broken.jpg'), sharedImage('ladybird.jpg').subarray(0, 3000));
    // Act
    const run = runCli([
      'augment',
      input,
      '--url',
      server.url,
      '--variants',
      '1',
      '--out',
      join(input, 'out'),
      '--json',
    ]);
    // Assess
    assert.equal(await run.exited, 3, run.stderr());
    assert.equal(run.lines.at(-1)?.code, 'JOB_FAILED');
  });

  it('exits 2 for bad input: a folder without images, or options the server refuses', async () => {
    const empty = tempDir('delta-cli-empty-');
    const noImages = runCli(['augment', empty, '--url', server.url, '--json']);
    assert.equal(await noImages.exited, 2);
    const out = join(tempDir('delta-cli-out-'), 'refused');
    const tooMany = runCli([
      'augment',
      photoFolder(),
      '--url',
      server.url,
      '--variants',
      '5000',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(await tooMany.exited, 2);
    assert.equal(tooMany.lines.at(-1)?.code, 'INVALID_FIELD');
  });

  it('exits 4 when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = runCli([
      'augment',
      photoFolder(),
      '--url',
      url,
      '--out',
      join(tempDir('delta-cli-out-'), 'x'),
      '--json',
    ]);
    assert.equal(await run.exited, 4);
    assert.equal(run.lines.at(-1)?.code, 'UNREACHABLE');
  });

  it('lists, gets, downloads and deletes jobs, and lists the presets', async () => {
    // Prepare
    const out = join(tempDir('delta-cli-out-'), 'first');
    const made = runCli([
      'augment',
      photoFolder(),
      '--url',
      server.url,
      '--variants',
      '1',
      '--out',
      out,
      '--json',
      '--tags',
      'cli-jobs',
    ]);
    assert.equal(await made.exited, 0, made.stderr());
    const jobId = String(made.lines.find((l) => l.type === 'job')?.jobId);
    // Act
    const list = runCli(['jobs', 'list', '--tag', 'cli-jobs', '--url', server.url, '--json']);
    const get = runCli(['jobs', 'get', jobId, '--url', server.url, '--json']);
    const again = join(tempDir('delta-cli-out-'), 'again');
    const download = runCli(['jobs', 'download', jobId, '--out', again, '--url', server.url, '--json']);
    const presets = runCli(['presets', '--url', server.url, '--json']);
    // Assess
    assert.equal(await list.exited, 0);
    assert.deepEqual(
      ((list.lines[0]?.items ?? []) as { id: string }[]).map((j) => j.id),
      [jobId],
    );
    assert.equal(await get.exited, 0);
    assert.equal(get.lines[0]?.status, 'completed');
    assert.equal(await download.exited, 0, download.stderr());
    assert.equal(filesUnder(again).filter((f) => f.endsWith('.jpg')).length, 12);
    assert.equal(await presets.exited, 0);
    assert.equal(presets.lines[0]?.default, 'delta-classic');
    const deleted = runCli(['jobs', 'delete', jobId, '--url', server.url, '--json']);
    assert.equal(await deleted.exited, 0);
    const gone = runCli(['jobs', 'get', jobId, '--url', server.url, '--json']);
    assert.equal(await gone.exited, 2);
    assert.equal(gone.lines.at(-1)?.code, 'NOT_FOUND');
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCli } from '../helpers/cli.js';
import { sharedImagePath } from '../helpers/images.js';
import { type RunningServer, startServer, tempDir } from '../helpers/server.js';

/** The raw RGB pixels of tile `i` of a contact sheet (cells of `cell` px, 8 px apart). */
const tile = async (png: Buffer, i: number, columns: number, cell: number): Promise<Buffer> =>
  sharp(png)
    .extract({
      left: 8 + (i % columns) * (cell + 8),
      top: 8 + Math.floor(i / columns) * (cell + 8),
      width: cell,
      height: cell,
    })
    .removeAlpha()
    .raw()
    .toBuffer();

/** Mean absolute difference of two equally sized pixel buffers (0 to 255). */
const difference = (a: Buffer, b: Buffer): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
};

describe('delta-augment preview writes a contact sheet through the preview API', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { WORKER_PROCESSES: '1' } });
  });
  after(() => server.stop());

  it('draws the original and each variant in a grid of distinct tiles, the same for the same seed', async () => {
    // Prepare
    const dir = tempDir('delta-cli-preview-');
    const args = (out: string, seed: string) => [
      'preview',
      sharedImagePath('ladybird.jpg'),
      '--url',
      server.url,
      '--count',
      '5',
      '--size',
      '96',
      '--preset',
      'heavy',
      '--seed',
      seed,
      '--out',
      out,
      '--json',
    ];
    // Act
    const first = runCli(args(join(dir, 'a.png'), '3'));
    assert.equal(await first.exited, 0, first.stderr());
    const again = runCli(args(join(dir, 'b.png'), '3'));
    const other = runCli(args(join(dir, 'c.png'), '4'));
    assert.equal(await again.exited, 0, again.stderr());
    assert.equal(await other.exited, 0, other.stderr());
    // Assess
    const line = first.lines[0] as {
      width: number;
      height: number;
      columns: number;
      rows: number;
      cell: number;
      tiles: unknown[];
    };
    assert.deepEqual([line.columns, line.rows, line.cell, line.tiles.length], [3, 2, 96, 6]);
    const png = readFileSync(join(dir, 'a.png'));
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [8 + 3 * (96 + 8), 8 + 2 * (96 + 8)]);
    const tiles = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => tile(png, i, 3, 96)));
    for (let i = 0; i < tiles.length; i++) {
      assert.ok(difference(tiles[i] as Buffer, Buffer.alloc(96 * 96 * 3, 32)) > 10, `tile ${i} is not empty`);
      for (let j = i + 1; j < tiles.length; j++)
        assert.ok(difference(tiles[i] as Buffer, tiles[j] as Buffer) > 1, `tiles ${i} and ${j} differ`);
    }
    assert.deepEqual(readFileSync(join(dir, 'b.png')), png, 'the same seed draws the same sheet');
    assert.notDeepEqual(readFileSync(join(dir, 'c.png')), png, 'another seed draws another sheet');
  });

  it('exits 2 naming the limit when more than 8 variants are asked for', async () => {
    // Act
    const run = runCli([
      'preview',
      sharedImagePath('ladybird.jpg'),
      '--url',
      server.url,
      '--count',
      '9',
      '--out',
      join(tempDir('delta-cli-preview-'), 'x.png'),
      '--json',
    ]);
    // Assess
    assert.equal(await run.exited, 2, run.stderr());
    assert.equal(run.lines.at(-1)?.code, 'INVALID_FIELD');
    assert.match(String(run.lines.at(-1)?.message), /count must be an integer from 1 to 8/);
  });
});

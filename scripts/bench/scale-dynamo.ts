/**
 * The same store-path load as scale.ts on the DynamoDB store against dynalite, counting write units as
 * DynamoDB bills them (1 per KB of item, rounded up, per item written; twice that inside a transaction; an
 * UpdateItem counted at the job record's size, under 1 KB). GSI writes are not counted.
 *   node --import tsx scripts/bench/scale-dynamo.ts [--sizes 10,100,1000]
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobService } from '@delta-augment/ports';
import { DynamoDbJobEventStore } from '@delta-augment/ports/aws';
import { SqliteEventBus } from '@delta-augment/ports/local';
import { startDynalite } from '../../apps/aws-emulated/src/dynalite.js';

const VARIANTS = 20;
const IN_FLIGHT = 4;
const arg = process.argv.indexOf('--sizes');
const sizes = (arg > 0 ? (process.argv[arg + 1] ?? '') : '10,100,1000').split(',').map(Number);
const units = (item: unknown) => Math.max(1, Math.ceil(JSON.stringify(item ?? {}).length / 1024));

const dynamo = await startDynalite();
const rows = [];
for (const sources of sizes) {
  const client = dynamo.client();
  let wcu = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const name = context.commandName;
      if (name === 'TransactWriteItemsCommand') {
        for (const action of (input.TransactItems as Record<string, { Item?: unknown }>[]) ?? []) {
          const [kind, body] = Object.entries(action)[0] ?? [];
          wcu += 2 * (kind === 'Update' ? 1 : units(body?.Item));
        }
      } else if (name === 'PutItemCommand') wcu += units(input.Item);
      else if (name === 'BatchWriteItemCommand') {
        for (const requests of Object.values(
          input.RequestItems as Record<string, { PutRequest?: { Item: unknown } }[]>,
        ))
          for (const r of requests) wcu += units(r.PutRequest?.Item);
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  const store = new DynamoDbJobEventStore(client, await dynamo.createJobsTable());
  const bus = new SqliteEventBus(join(mkdtempSync(join(tmpdir(), 'bench-dyn-')), 'bus.sqlite'));
  const jobs = new JobService(store, bus);
  const ids = Array.from({ length: sources }, (_, i) => `s_${String(i).padStart(22, '0')}`);
  await jobs.handleJob('j_bench', {
    type: 'CreateJob',
    owner: 'bench',
    pipeline: { seed: 1 },
    variants: VARIANTS,
    tags: [],
    sources: ids.map((sourceId) => ({ sourceId, name: `${sourceId}.jpg`, label: 'cats', key: `k/${sourceId}` })),
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const sourceId = ids[next++] as string;
      let { source } = await jobs.handleSource('j_bench', sourceId, { type: 'StartSource', attempt: 1 });
      const variants = Array.from({ length: VARIANTS }, (_, index) => ({
        index,
        key: `results/j_bench/${sourceId}/${String(index).padStart(4, '0')}.jpg`,
        bytes: 4000,
        operations: [
          { op: 'rotate', params: { degrees: 12.5 } },
          { op: 'flip', params: { axis: 'horizontal' } },
        ],
      }));
      ({ source } = await jobs.handleSource('j_bench', sourceId, { type: 'RecordVariants', variants }, source));
      await jobs.handleSource('j_bench', sourceId, { type: 'CompleteSource' }, source);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await jobs.handleJob('j_bench', {
    type: 'FinaliseJob',
    archive: { key: 'a', bytes: 1, count: sources * VARIANTS },
    failures: [],
  });
  const status = (await store.load('j_bench'))?.status;
  const variants = sources * VARIANTS;
  rows.push({ sources, variants, wcu, seqRetries: store.seqRetries, retries: jobs.conflictRetries, status });
  await bus.close();
  client.destroy();
}
await dynamo.close();
console.log(
  '| sources x 20 | variants | write units | WCU per variant | seq retries per variant | conflict retries per variant | status |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.sources} | ${r.variants} | ${r.wcu} | ${(r.wcu / r.variants).toFixed(2)} | ${(r.seqRetries / r.variants).toFixed(3)} | ${(r.retries / r.variants).toFixed(4)} | ${r.status} |`,
  );
}

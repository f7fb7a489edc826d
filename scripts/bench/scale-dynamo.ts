/**
 * The same store-path load as scale.ts (store-load.ts) on the DynamoDB store against dynalite, counting write units as
 * DynamoDB bills them (1 per KB of item, rounded up, per item written; twice that inside a transaction; an
 * UpdateItem counted at the job record's size, under 1 KB). GSI writes are not counted.
 * With `--from zip` each job is created for an uploaded dataset zip and its sources recorded by the expansion
 * (steps of 48 sources, one transaction each), so the expansion's write units are counted too.
 *   node --import tsx scripts/bench/scale-dynamo.ts [--sizes 10,100,1000] [--from zip]
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobService } from '@delta-augment/ports';
import { DynamoDbJobEventStore } from '@delta-augment/ports/aws';
import { SqliteEventBus } from '@delta-augment/ports/local';
import { startDynalite } from '../../apps/aws-emulated/src/dynalite.js';
import {
  createBenchJob,
  createDatasetBenchJob,
  fromZip,
  JOB_ID,
  recordSources,
  sizesArg,
  VARIANTS,
} from './store-load.js';

const sizes = sizesArg('10,100,1000');
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
  const create = fromZip() ? createDatasetBenchJob : createBenchJob;
  await recordSources(jobs, await create(jobs, sources));
  const status = (await store.load(JOB_ID))?.status;
  const variants = sources * VARIANTS;
  rows.push({ sources, variants, wcu, seqRetries: store.seqRetries, retries: jobs.conflictRetries, status });
  await bus.close();
  client.destroy();
}
await dynamo.close();
console.log(fromZip() ? 'jobs created from an uploaded dataset zip (expansion included)' : 'jobs created by multipart');
console.log(
  '| sources x 20 | variants | write units | WCU per variant | seq retries per variant | conflict retries per variant | status |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.sources} | ${r.variants} | ${r.wcu} | ${(r.wcu / r.variants).toFixed(2)} | ${(r.seqRetries / r.variants).toFixed(3)} | ${(r.retries / r.variants).toFixed(4)} | ${r.status} |`,
  );
}

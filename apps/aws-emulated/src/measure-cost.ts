/**
 * `npm run cost:aws-emulated`: counts what the AWS composition asks of each service per 1,000 variants,
 * at the emulator boundary, for two job shapes: single images with many variants, and a dataset of many
 * small sources with few variants each. Infra's default settings (batch size, memory, timeouts) apply.
 * Prints the per-1,000-variant figures as JSON (docs/COST.md turns them into dollars).
 *
 *   npm run cost:aws-emulated [-- <images per dataset job> <variants per dataset image>]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../../infra/lambda-package.js';
import { type EmulatedStack, startEmulatedStack } from './stack.js';
import type { Usage } from './usage.js';

const IMAGES = join(repoRoot, '..', 'shared', 'images');
const image = (name: string) => readFileSync(join(IMAGES, name));

const runJob = async (stack: EmulatedStack, files: { name: string; data: Buffer }[], variants: number) => {
  const form = new FormData();
  form.append('variants', String(variants));
  form.append('preset', 'delta-classic');
  form.append('seed', '7');
  for (const f of files) form.append('file', new Blob([new Uint8Array(f.data)], { type: 'image/jpeg' }), f.name);
  const created = await fetch(`${stack.url}/api/jobs`, { method: 'POST', body: form });
  if (created.status !== 202) throw new Error(`job refused: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${stack.url}/api/jobs/${id}`)).json()) as {
      status: string;
      progress: { done: number };
    };
    if (job.status === 'completed') return job.progress.done;
    if (job.status === 'failed') throw new Error(`job ${id} failed`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

const per1000 = (usage: Usage, variants: number, memoryMb: number) => {
  const scale = (n: number) => Math.round((n * 1000 * 100) / variants) / 100;
  return {
    variants,
    s3: {
      tier1PutCopyPostList: scale(usage.s3.tier1),
      tier2GetHead: scale(usage.s3.tier2),
      calls: usage.calls.s3,
    },
    sqs: { billedRequests: scale(usage.sqs.requests), calls: usage.calls.sqs },
    dynamodb: {
      readUnits: scale(usage.dynamodb.readUnits),
      writeUnits: scale(usage.dynamodb.writeUnits),
      calls: usage.calls.dynamodb,
    },
    eventbridge: { events: scale(usage.eventbridge.events) },
    sns: { publishes: scale(usage.sns.publishes) },
    lambda: {
      memoryMb,
      invocations: scale(usage.lambda.invocations),
      gbSeconds: scale(usage.lambda.gbSeconds),
      msPerVariant: Math.round(usage.lambda.durationMs / variants),
    },
  };
};

const [datasetImages = '20', datasetVariants = '5'] = process.argv.slice(2);
const stack = await startEmulatedStack({
  port: 0,
  dataDir: mkdtempSync(join(tmpdir(), 'aws-cost-')),
  output: () => undefined,
});
try {
  const { augmenter, archiver } = stack.ready.model;
  const memoryMb = augmenter.memoryMb;
  await runJob(stack, [{ name: 'warm-up.jpg', data: image('ladybird.jpg') }], 2);

  await stack.resetUsage();
  let single = 0;
  for (const name of ['ladybird.jpg', 'dune.jpg', 'aqua.jpg'])
    single += await runJob(stack, [{ name, data: image(name) }], 20);
  const singleUsage = await stack.usage();

  await stack.resetUsage();
  const names = ['ladybird.jpg', 'dune.jpg', 'aqua.jpg', 'blinds.jpg'];
  const files = Array.from({ length: Number(datasetImages) }, (_, i) => ({
    name: `img-${i}.jpg`,
    data: image(names[i % names.length] ?? 'ladybird.jpg'),
  }));
  const dataset = await runJob(stack, files, Number(datasetVariants));
  const datasetUsage = await stack.usage();

  process.stdout.write(
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        node: { gateway: process.version, lambda: 'infra runtime major (see infra/runtime.ts)' },
        functions: [augmenter, archiver].map((f) => ({
          name: f.name,
          memoryMb: f.memoryMb,
          timeoutSeconds: f.timeoutSeconds,
          ...f.mapping,
        })),
        singleImageJobs: { shape: '3 jobs x 1 image x 20 variants', ...per1000(singleUsage, single, memoryMb) },
        datasetJob: {
          shape: `1 job x ${datasetImages} images x ${datasetVariants} variants`,
          ...per1000(datasetUsage, dataset, memoryMb),
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stack.stop();
}

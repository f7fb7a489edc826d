/**
 * The client CLI (`npx delta-augment ...`): the whole round trip from a folder, job commands, presets,
 * and the operator's queue commands. It talks only HTTP/WebSocket, so it works the same on the local stack
 * and on AWS. Exit codes: 0 done, 2 bad input, 3 job failed, 4 server unreachable, 130 interrupted.
 */
import { parseArgs } from 'node:util';
import { jobOptionsOf, type Output, runAugment } from './augment-command.js';
import { type CliOptions, formatQueues, runCommand } from './commands.js';
import { classify, EXIT, UsageError } from './exit-codes.js';
import { runJobs, runPresets } from './jobs-commands.js';
import { runPreview } from './preview-command.js';

const USAGE = `usage: delta-augment <command> [args] [--url URL] [--key KEY] [--json]

  augment <folder|zip> [--out DIR]   upload, augment, follow and download into DIR (default <name>-augmented)
      --variants N  --preset NAME | --pipeline FILE.json  --seed N  --tags a,b
      --export coco|yolo|voc|folders  --split 80,10,10  --format auto|coco|yolo|voc|folders
      --webhook URL (POSTed a signed document when the job ends; its secret is printed once)
      --concurrency N (parallel uploads, 4)  --limit-rate BYTES/S  --keep-zip  --state FILE
      --signed-zip (send a dataset zip through a signed upload; automatic over 100 MiB, up to MAX_DATASET_BYTES)
      Interrupted (Ctrl-C, dropped connection)? Run the same command again: it resumes.
  jobs list [--tag T] [--status S] [--limit N]   your jobs, newest first
  jobs get <id> | watch <id> | delete <id>
  jobs download <id> [--out DIR]     download and extract a job's zip
  jobs events <id> | retry <id>      a job's events; retry its failed sources (admin)
  presets                            the named pipelines
  preview <image> [--out FILE.png]   a contact sheet PNG: the original, then variants rendered by POST /api/preview
      --count N (1-8, 4)  --size PX (16-1024, 256)  --columns N  --preset NAME | --pipeline FILE.json  --seed N
  queues list | peek <queue> [--max N] | redrive <dlq> [--id ID] | redrive-start|redrive-status|redrive-cancel <dlq>
  queues purge <queue> --yes         (operator: admin key)

  --url (DELTA_URL, default http://127.0.0.1:8080)  --key (DELTA_API_KEY, or DELTA_ADMIN_KEY / ADMIN_KEY)
  exit codes: 0 done, 2 bad input, 3 job failed, 4 server unreachable, 130 interrupted`;

const parse = () => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: 'string', default: process.env.DELTA_URL ?? 'http://127.0.0.1:8080' },
        key: {
          type: 'string',
          default: process.env.DELTA_API_KEY ?? process.env.DELTA_ADMIN_KEY ?? process.env.ADMIN_KEY,
        },
        json: { type: 'boolean', default: false },
        out: { type: 'string', short: 'o' },
        variants: { type: 'string', short: 'n' },
        preset: { type: 'string' },
        pipeline: { type: 'string' },
        seed: { type: 'string' },
        tags: { type: 'string' },
        export: { type: 'string' },
        split: { type: 'string' },
        format: { type: 'string' },
        webhook: { type: 'string' },
        count: { type: 'string' },
        size: { type: 'string' },
        columns: { type: 'string' },
        concurrency: { type: 'string' },
        'limit-rate': { type: 'string' },
        'keep-zip': { type: 'boolean', default: false },
        'signed-zip': { type: 'boolean', default: false },
        state: { type: 'string' },
        tag: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        max: { type: 'string' },
        id: { type: 'string', multiple: true },
        yes: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`delta-augment: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(EXIT.badInput);
  }
};

const { values, positionals } = parse();
if (values.help || positionals.length === 0) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? EXIT.ok : EXIT.badInput);
}

const output: Output = {
  json: values.json,
  line: (value) => process.stdout.write(`${JSON.stringify(value, null, values.json ? undefined : 2)}\n`),
  info: (text) => (values.json ? undefined : process.stderr.write(`${text}\n`)),
};

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(EXIT.interrupted);
  controller.abort(new DOMException('interrupted', 'AbortError'));
});

const count = (raw: string | undefined, name: string): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer, got ${raw}`);
  return value;
};

const run = async (): Promise<void> => {
  const [group, command, target] = positionals;
  const { url, key } = values;
  switch (group) {
    case 'augment':
      if (!command) throw new UsageError('augment needs a folder or a .zip');
      await runAugment(
        {
          url,
          key,
          input: command,
          out: values.out,
          options: await jobOptionsOf(values),
          concurrency: count(values.concurrency, 'concurrency'),
          limitRate: count(values['limit-rate'], 'limit-rate'),
          keepZip: values['keep-zip'],
          stateFile: values.state,
          signedZip: values['signed-zip'],
        },
        output,
        controller.signal,
      );
      return;
    case 'presets':
      return runPresets(url, key, output);
    case 'preview': {
      if (!command) throw new UsageError('preview needs an image file');
      const options = await jobOptionsOf(values);
      await runPreview(
        {
          url,
          key,
          image: command,
          out: values.out,
          count: count(values.count, 'count'),
          size: count(values.size, 'size') ?? 256,
          columns: count(values.columns, 'columns'),
          preset: options.preset,
          pipeline: options.pipeline,
          seed: options.seed,
        },
        output,
      );
      return;
    }
    case 'jobs':
      if (command === 'events' || command === 'retry') break;
      return runJobs(
        {
          url,
          key,
          command: command ?? '',
          target,
          out: values.out,
          tag: values.tag,
          status: values.status,
          limit: count(values.limit, 'limit'),
          keepZip: values['keep-zip'],
        },
        output,
        controller.signal,
      );
    default:
      break;
  }
  const options: CliOptions = { url, key, max: count(values.max, 'max'), ids: values.id, yes: values.yes };
  const result = await runCommand(positionals, options);
  if (!values.json && group === 'queues' && command === 'list') process.stdout.write(formatQueues(result));
  else output.line(result);
};

try {
  await run();
  process.exit(EXIT.ok);
} catch (error) {
  const { exit, code } = classify(error);
  const message =
    exit === EXIT.interrupted ? `interrupted: run the same command again to resume` : (error as Error).message;
  if (values.json) output.line({ type: 'error', code, message, exit });
  process.stderr.write(`delta-augment: ${message}\n`);
  process.exit(exit);
}

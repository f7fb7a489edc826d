/**
 * Operator CLI over the gateway's admin routes, so that it works the same on the local stack and on AWS.
 *   delta-augment queues list | peek <queue> [--max N] | redrive <dlq> [--id ID ...] | purge <queue> --yes
 *   delta-augment jobs get <id> | events <id> | retry <id>
 * Options: --url (DELTA_URL, default http://127.0.0.1:8080), --key (DELTA_ADMIN_KEY or ADMIN_KEY), --json.
 */
import { parseArgs } from 'node:util';
import { type CliOptions, formatQueues, runCommand } from './commands.js';

const USAGE = `usage: delta-augment <queues|jobs> <command> [args] [--url URL] [--key KEY] [--json]
  queues list                      every queue: visible, in flight, delayed, oldest age, DLQ depth
  queues peek <queue> [--max N]    messages without receiving them (a DLQ shows job, source, reason, receive count)
  queues redrive <dlq> [--id ID]   move dead-lettered messages (all, or the given ids) back to their queue
  queues redrive-start <dlq>       start (or resume) a background redrive in batches
  queues redrive-status <dlq>      its state, moved and remaining
  queues redrive-cancel <dlq>      cancel it after the current batch (start again to resume)
  queues purge <queue> --yes       delete every message of a queue
  jobs get <id>                    a job's state and progress
  jobs events <id>                 a job's events
  jobs retry <id>                  retry a job's failed and dead-lettered sources`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.DELTA_URL ?? 'http://127.0.0.1:8080' },
    key: { type: 'string', default: process.env.DELTA_ADMIN_KEY ?? process.env.ADMIN_KEY },
    json: { type: 'boolean', default: false },
    max: { type: 'string' },
    id: { type: 'string', multiple: true },
    yes: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help || positionals.length < 2) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}

const options: CliOptions = {
  url: values.url,
  key: values.key,
  max: values.max ? Number(values.max) : undefined,
  ids: values.id,
  yes: values.yes,
};
try {
  const result = await runCommand(positionals, options);
  const [group, command] = positionals;
  if (!values.json && group === 'queues' && command === 'list') process.stdout.write(formatQueues(result));
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  process.stderr.write(`delta-augment: ${(error as Error).message}\n`);
  process.exit(1);
}

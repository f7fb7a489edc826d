import { apiErrorOf, UnreachableError } from '@delta-augment/client';
import { UsageError } from './exit-codes.js';

export interface CliOptions {
  readonly url: string;
  readonly key?: string;
  readonly max?: number;
  readonly ids?: string[];
  readonly yes?: boolean;
}

const call = async (options: CliOptions, method: string, path: string, body?: unknown): Promise<unknown> => {
  const response = await fetch(`${options.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((error: Error) => {
    throw new UnreachableError(`cannot reach ${options.url}: ${error.message}`, { cause: error });
  });
  const text = await response.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {}
  if (!response.ok) throw apiErrorOf(response.status, parsed, text);
  return parsed;
};

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return encodeURIComponent(value);
};

/** Runs one CLI command against the gateway's API and returns its JSON answer. */
export const runCommand = async (args: readonly string[], options: CliOptions): Promise<unknown> => {
  const [group, command, target] = args;
  switch (`${group} ${command}`) {
    case 'queues list':
      return call(options, 'GET', '/api/queues');
    case 'queues peek':
      return call(options, 'GET', `/api/queues/${need(target, 'queue name')}/messages?max=${options.max ?? 10}`);
    case 'queues redrive':
      return call(
        options,
        'POST',
        `/api/queues/${need(target, 'dead-letter queue name')}/redrive`,
        options.ids?.length ? { messageIds: options.ids } : {},
      );
    case 'queues redrive-start':
      return call(options, 'POST', `/api/queues/${need(target, 'dead-letter queue name')}/redrive-task`, {});
    case 'queues redrive-status':
      return call(options, 'GET', `/api/queues/${need(target, 'dead-letter queue name')}/redrive-task`);
    case 'queues redrive-cancel':
      return call(options, 'DELETE', `/api/queues/${need(target, 'dead-letter queue name')}/redrive-task`);
    case 'queues purge':
      if (!options.yes) throw new UsageError('purge deletes every message of the queue: add --yes');
      return call(options, 'POST', `/api/queues/${need(target, 'queue name')}/purge`);
    case 'jobs get':
      return call(options, 'GET', `/api/jobs/${need(target, 'job id')}`);
    case 'jobs events':
      return call(options, 'GET', `/api/jobs/${need(target, 'job id')}/events`);
    case 'jobs retry':
      return call(options, 'POST', `/api/jobs/${need(target, 'job id')}/retry`);
    default:
      throw new UsageError(`unknown command "${args.join(' ')}"; see --help`);
  }
};

interface QueueRow {
  name: string;
  visible: number;
  inFlight: number;
  delayed: number;
  oldestAgeSeconds: number;
  deadLetterQueue?: string;
  deadLetterQueueDepth?: number;
}

/** A fixed-width table of `queues list`. */
export const formatQueues = (result: unknown): string => {
  const rows = (result as { queues: QueueRow[] }).queues;
  const header = ['QUEUE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'OLDEST (s)', 'DLQ', 'DLQ DEPTH'];
  const lines = rows.map((q) =>
    [
      q.name,
      q.visible,
      q.inFlight,
      q.delayed,
      q.oldestAgeSeconds,
      q.deadLetterQueue ?? '-',
      q.deadLetterQueueDepth ?? '-',
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  return `${[header, ...lines]
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
};

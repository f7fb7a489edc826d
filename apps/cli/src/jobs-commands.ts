import { createApi, ok } from '@delta-augment/client';
import { downloadAndExtract, watchJob } from '@delta-augment/client/node';
import type { Output } from './augment-command.js';
import { UsageError } from './exit-codes.js';

export interface JobsCommand {
  readonly url: string;
  readonly key?: string;
  readonly command: string;
  readonly target?: string;
  readonly out?: string;
  readonly tag?: string;
  readonly status?: string;
  readonly limit?: number;
  readonly keepZip?: boolean;
}

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
};

const STATUSES = ['created', 'queued', 'processing', 'completed', 'failed'] as const;
type Status = (typeof STATUSES)[number];

/** A fixed-width table of jobs. */
const jobTable = (
  items: readonly {
    id?: string;
    status?: string;
    progress?: { done?: number; total?: number };
    tags?: string[];
    createdAt?: string;
  }[],
) => {
  const rows = items.map((j) => [
    j.id ?? '',
    j.status ?? '',
    `${j.progress?.done ?? 0}/${j.progress?.total ?? 0}`,
    j.createdAt ?? '',
    (j.tags ?? []).join(','),
  ]);
  const header = ['JOB', 'STATUS', 'VARIANTS', 'CREATED', 'TAGS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `jobs list|get|watch|download|delete` and `presets`, through the typed client. */
export const runJobs = async (command: JobsCommand, output: Output, signal: AbortSignal): Promise<void> => {
  const api = createApi({ url: command.url, key: command.key });
  switch (command.command) {
    case 'list': {
      if (command.status && !STATUSES.includes(command.status as Status))
        throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
      const page = await ok(
        api.GET('/api/jobs', {
          params: { query: { tag: command.tag, status: command.status as Status | undefined, limit: command.limit } },
        }),
      );
      if (output.json) output.line(page);
      else output.info(jobTable(page.items ?? []));
      return;
    }
    case 'get': {
      const job = await ok(api.GET('/api/jobs/{id}', { params: { path: { id: need(command.target, 'job id') } } }));
      output.line(job);
      return;
    }
    case 'watch': {
      const job = await watchJob({
        api,
        url: command.url,
        key: command.key,
        jobId: need(command.target, 'job id'),
        signal,
        onJob: (j) =>
          output.json
            ? output.line({
                type: 'progress',
                done: j.progress?.done ?? 0,
                total: j.progress?.total ?? 0,
                status: j.status,
              })
            : output.info(`${j.status} ${j.progress?.done ?? 0}/${j.progress?.total ?? 0}`),
      });
      output.line(job);
      return;
    }
    case 'download': {
      const id = need(command.target, 'job id');
      const result = await downloadAndExtract({
        url: command.url,
        key: command.key,
        jobId: id,
        out: command.out ?? id,
        keepZip: command.keepZip,
        signal,
      });
      output.line({ type: 'done', jobId: id, out: command.out ?? id, files: result.files.length, bytes: result.bytes });
      return;
    }
    case 'delete': {
      const id = need(command.target, 'job id');
      await ok(api.DELETE('/api/jobs/{id}', { params: { path: { id } } }));
      output.line({ deleted: id });
      return;
    }
    default:
      throw new UsageError(`unknown command "jobs ${command.command}"; see --help`);
  }
};

/** `presets`: the named pipelines (names and their steps), or everything with --json. */
export const runPresets = async (url: string, key: string | undefined, output: Output): Promise<void> => {
  const answer = await ok(createApi({ url, key }).GET('/api/presets'));
  if (output.json) return output.line(answer);
  const presets = (answer.presets ?? {}) as Record<string, { description?: string; steps?: unknown[] }>;
  for (const [name, spec] of Object.entries(presets)) {
    output.info(
      `${name}${name === answer.default ? ' (default)' : ''}${spec.description ? `: ${spec.description}` : ''}`,
    );
  }
};

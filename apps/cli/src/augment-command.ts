import { readFile } from 'node:fs/promises';
import { type AugmentEvent, augment, type JobOptions } from '@delta-augment/client/node';
import { UsageError } from './exit-codes.js';
import { type Bar, formatBytes, ProgressBars } from './progress-bars.js';

export interface Output {
  /** Machine-readable: one JSON object per line on stdout instead of bars. */
  readonly json: boolean;
  line(value: unknown): void;
  info(text: string): void;
}

const integer = (raw: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
};

/** Parses the job options of the command line (`--pipeline` is a JSON file). */
export const jobOptionsOf = async (
  values: Record<string, string | boolean | string[] | undefined>,
): Promise<JobOptions> => {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  let pipeline: unknown;
  const pipelineFile = text('pipeline');
  if (pipelineFile) {
    const raw = await readFile(pipelineFile, 'utf8').catch((error: Error) => {
      throw new UsageError(`--pipeline ${pipelineFile}: ${error.message}`);
    });
    try {
      pipeline = JSON.parse(raw);
    } catch (error) {
      throw new UsageError(`--pipeline ${pipelineFile} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (pipeline !== undefined && text('preset')) throw new UsageError('give --preset or --pipeline, not both');
  const split = text('split');
  if (split !== undefined && !/^\d{1,3},\d{1,3},\d{1,3}$/.test(split))
    throw new UsageError(
      `--split must be three percentages train,valid,test such as 80,10,10, got ${JSON.stringify(split)}`,
    );
  return {
    variants: integer(text('variants'), 'variants', 1, 10_000),
    preset: text('preset'),
    pipeline,
    seed: integer(text('seed'), 'seed', 0, 2 ** 32 - 1),
    tags: text('tags')
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    export: text('export'),
    split,
    format: text('format'),
    webhookUrl: text('webhook'),
  };
};

/** Turns the workflow's events into bars (terminal) or throttled JSON lines (`--json`). */
const reporter = (output: Output) => {
  let bars: ProgressBars | undefined;
  let upload: Bar | undefined;
  let variants: Bar | undefined;
  let download: Bar | undefined;
  const totals = { upload: 0, uploaded: 0, download: 0, downloaded: 0 };
  let lastLine = 0;
  const throttled = (value: unknown, force = false) => {
    const now = Date.now();
    if (!force && now - lastLine < 250) return;
    lastLine = now;
    output.line(value);
  };
  const onEvent = (event: AugmentEvent) => {
    if (output.json) {
      switch (event.type) {
        case 'upload-bytes':
          totals.uploaded += event.delta;
          return throttled({ type: 'upload', bytes: totals.uploaded, totalBytes: totals.upload });
        case 'download-bytes':
          totals.downloaded += event.delta;
          return throttled({ type: 'download', bytes: totals.downloaded, totalBytes: totals.download });
        case 'upload-start':
          totals.upload = event.totalBytes;
          return output.line(event);
        case 'download-start':
          totals.download = event.totalBytes;
          return output.line(event);
        default:
          return output.line(event);
      }
    }
    switch (event.type) {
      case 'scanned':
        output.info(
          event.mode === 'dataset'
            ? `found a dataset (${event.images} images, ${event.labels} label files, ${formatBytes(event.bytes)}): sending it as one zip`
            : `found ${event.images} images (${formatBytes(event.bytes)}): uploading straight to storage`,
        );
        return;
      case 'job':
        output.info(event.resumed ? `resuming job ${event.jobId}` : `created job ${event.jobId}`);
        if (event.webhookSecret)
          output.info(`webhook secret (shown once; verify deliveries with it): ${event.webhookSecret}`);
        return;
      case 'upload-start':
        bars ??= new ProgressBars();
        upload = bars.add('upload  ', event.totalBytes, 'bytes');
        return;
      case 'upload-bytes':
        upload?.increment(event.delta);
        return;
      case 'progress':
        bars ??= new ProgressBars();
        variants ??= bars.add('variants', event.total, 'variants');
        variants.update(event.done, event.total);
        return;
      case 'download-start':
        bars ??= new ProgressBars();
        download = bars.add('download', event.totalBytes, 'bytes');
        return;
      case 'download-bytes':
        download?.increment(event.delta);
        return;
      case 'done':
        bars?.stop();
        output.info(
          `done: ${event.files} files in ${event.out}${event.failedSources ? ` (${event.failedSources} sources failed: see manifest.json)` : ''}`,
        );
        return;
      default:
        return;
    }
  };
  return { onEvent, stop: () => bars?.stop() };
};

export interface AugmentCommand {
  readonly url: string;
  readonly key?: string;
  readonly input: string;
  readonly out?: string;
  readonly options: JobOptions;
  readonly concurrency?: number;
  readonly limitRate?: number;
  readonly keepZip?: boolean;
  readonly stateFile?: string;
  /** Send a dataset zip through a signed upload whatever its size (`--signed-zip`). */
  readonly signedZip?: boolean;
}

/**
 * `delta-augment augment <folder|zip>`: the round trip with bars or JSON lines. Ctrl-C stops the uploads,
 * keeps the state file, and the same command resumes.
 */
export const runAugment = async (command: AugmentCommand, output: Output, signal: AbortSignal) => {
  const report = reporter(output);
  try {
    return await augment({
      url: command.url,
      key: command.key,
      input: command.input,
      out: command.out,
      ...command.options,
      concurrency: command.concurrency,
      limitRate: command.limitRate,
      keepZip: command.keepZip,
      stateFile: command.stateFile,
      ...(command.signedZip ? { signedZipOver: 0 } : {}),
      signal,
      onEvent: report.onEvent,
    });
  } finally {
    report.stop();
  }
};

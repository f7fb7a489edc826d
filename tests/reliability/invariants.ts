/**
 * "Nothing lost", as one reusable checker (defined in docs/RELIABILITY.md):
 *
 * 1. Every job's events have seqs 1, 2, 3, … with no gap, starting with JobCreated.
 * 2. Every open period of a job ends in exactly one terminal event (JobCompleted, or JobFailed with a
 *    reason); nothing but SourceRedriven follows a terminal event, and a SourceRedriven reopens the job.
 * 3. Every failure carries its reason (SourceFailed, SourceDeadLettered, JobFailed).
 * 4. Work in progress is never dropped: while a job is open, each of its unsettled sources has its
 *    message in the upload queue (visible, in flight or delayed) or in the dead-letter queue, and a job
 *    whose sources are all settled but which is not finalised still has a message that will finalise it.
 * 5. A message in the dead-letter queue is recorded on its job (the source is dead-lettered, or settled),
 *    so that no job waits silently for an operator.
 * 6. With `requireTerminal` (a quiescent system), every accepted job's current period has ended.
 *
 * And over the blob store (`checkBlobs`, local adapter): 7. no file belongs to a job that does not exist
 * (deleted jobs leave nothing, writes landing after the deletion included); 8. no temp file or sidecar of
 * an unfinished write is left; 9. every variant a job counts is stored, and so is a completed job's archive.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  blobKeys,
  decodeS3Key,
  foldJob,
  hasIndex,
  isSourceSettled,
  isTestEvent,
  type JobEvent,
  outputsOf,
  parseS3Notification,
  parseSourceKey,
  TERMINAL_EVENT_TYPES,
} from '@delta-augment/core';
import {
  type BlobStore,
  DEAD_LETTER_QUEUE,
  type JobEventStore,
  UPLOAD_QUEUE,
  type WorkQueue,
} from '@delta-augment/ports';

export type Rule =
  | 'contiguous'
  | 'starts-with-created'
  | 'one-terminal-per-period'
  | 'event-after-terminal'
  | 'reason'
  | 'not-terminal'
  | 'message-lost'
  | 'dlq-unrecorded'
  | 'queue-accounting'
  | 'orphan-blob'
  | 'stray-file'
  | 'missing-variant'
  | 'missing-archive';

export interface Violation {
  readonly rule: Rule;
  readonly jobId?: string;
  readonly detail: string;
}

export interface StreamReport {
  readonly violations: Violation[];
  /** True when the job's current period has not ended in a terminal event. */
  readonly open: boolean;
  readonly terminalEvents: number;
  /** Open periods: 1 plus the number of reopenings by SourceRedriven. */
  readonly periods: number;
}

const isTerminal = (event: JobEvent): boolean => TERMINAL_EVENT_TYPES.includes(event.type);

const reasonOf = (event: JobEvent): string | undefined => {
  if (event.type === 'SourceFailed' || event.type === 'SourceDeadLettered' || event.type === 'JobFailed') {
    return event.data.reason;
  }
  return undefined;
};

/** Rules 1 to 3 on one job's stream (pure). */
export const checkStream = (jobId: string, events: readonly JobEvent[]): StreamReport => {
  const violations: Violation[] = [];
  const add = (rule: Rule, detail: string) => violations.push({ rule, jobId, detail });
  if (events.length === 0) {
    add('starts-with-created', 'the job has no events');
    return { violations, open: true, terminalEvents: 0, periods: 0 };
  }
  events.forEach((event, i) => {
    if (event.seq !== i + 1) add('contiguous', `event #${i + 1} (${event.type}) has seq ${event.seq}`);
    if (event.jobId !== jobId) add('contiguous', `event seq ${event.seq} belongs to ${event.jobId}`);
  });
  if (events[0]?.type !== 'JobCreated') add('starts-with-created', `the first event is ${events[0]?.type}`);
  let open = true;
  let terminalEvents = 0;
  let periods = 1;
  for (const event of events.slice(1)) {
    if (event.type === 'JobCreated') add('starts-with-created', `a second JobCreated at seq ${event.seq}`);
    const reason = reasonOf(event);
    if (reason !== undefined && reason.trim() === '') add('reason', `${event.type} at seq ${event.seq} has no reason`);
    if (isTerminal(event)) {
      terminalEvents += 1;
      if (!open) add('one-terminal-per-period', `a second terminal event ${event.type} at seq ${event.seq}`);
      open = false;
    } else if (event.type === 'SourceRedriven') {
      if (!open) periods += 1;
      open = true;
    } else if (!open) {
      add('event-after-terminal', `${event.type} at seq ${event.seq} follows the terminal event`);
    }
  }
  return { violations, open, terminalEvents, periods };
};

export interface QueueSnapshot {
  readonly uploads: { visible: number; inFlight: number; delayed: number };
  readonly deadLettered: number;
  /** `jobId/sourceId` of every message in the upload queue and in the dead-letter queue. */
  readonly queued: ReadonlySet<string>;
  /** `<job>/<source>` of the messages in the upload queue (visible or in flight). */
  readonly inUploadQueue: ReadonlySet<string>;
  readonly deadLetteredSources: ReadonlySet<string>;
  readonly messageIds: ReadonlySet<string>;
}

const PEEK_MAX = 1000;

const sourceOfBody = (body: string): string | undefined => {
  try {
    const event = parseS3Notification(body);
    if (isTestEvent(event)) return undefined;
    const key = event.Records[0]?.s3.object.key;
    const parsed = key ? parseSourceKey(decodeS3Key(key)) : undefined;
    return parsed ? `${parsed.jobId}/${parsed.sourceId}` : undefined;
  } catch {
    return undefined;
  }
};

/** Every message of both queues, by the source it is about. */
export const snapshotQueues = async (
  queue: WorkQueue,
  names: { uploads?: string; deadLetter?: string } = {},
): Promise<QueueSnapshot> => {
  const uploads = names.uploads ?? UPLOAD_QUEUE;
  const deadLetter = names.deadLetter ?? DEAD_LETTER_QUEUE;
  const [upStats, dlqStats, upMessages, dlqMessages] = await Promise.all([
    queue.stats(uploads),
    queue.stats(deadLetter),
    queue.peek(uploads, { max: PEEK_MAX }),
    queue.peek(deadLetter, { max: PEEK_MAX }),
  ]);
  const queued = new Set<string>();
  const inUploadQueue = new Set<string>();
  const deadLetteredSources = new Set<string>();
  for (const m of upMessages) {
    const source = sourceOfBody(m.body);
    if (source) {
      queued.add(source);
      inUploadQueue.add(source);
    }
  }
  for (const m of dlqMessages) {
    const source = sourceOfBody(m.body);
    if (source) {
      queued.add(source);
      deadLetteredSources.add(source);
    }
  }
  return {
    uploads: { visible: upStats.visible, inFlight: upStats.inFlight, delayed: upStats.delayed },
    deadLettered: dlqStats.visible + dlqStats.inFlight + dlqStats.delayed,
    queued,
    inUploadQueue,
    deadLetteredSources,
    messageIds: new Set([...upMessages, ...dlqMessages].map((m) => m.messageId)),
  };
};

export interface NothingLostInput {
  readonly events: JobEventStore;
  readonly queue: WorkQueue;
  /** The accepted jobs (an upload answered 2xx). */
  readonly jobIds: Iterable<string>;
  /** The system is quiescent: every job must have ended its current period. */
  readonly requireTerminal?: boolean;
  /** Message ids that must still be in the upload queue or the dead-letter queue. */
  readonly expectQueued?: Iterable<string>;
}

export interface NothingLostReport {
  readonly violations: Violation[];
  readonly jobs: number;
  readonly terminal: number;
  readonly open: string[];
  readonly terminalEvents: number;
  readonly queues: QueueSnapshot;
}

/** Rules 1 to 6 over the given jobs and the queues, read from the ports. */
export const checkNothingLost = async (input: NothingLostInput): Promise<NothingLostReport> => {
  const queues = await snapshotQueues(input.queue);
  const violations: Violation[] = [];
  const open: string[] = [];
  let jobs = 0;
  let terminalEvents = 0;
  for (const jobId of new Set(input.jobIds)) {
    jobs += 1;
    const events = await input.events.read(jobId);
    const stream = checkStream(jobId, events);
    violations.push(...stream.violations);
    terminalEvents += stream.terminalEvents;
    // The job rebuilt from its events alone: the projections must be rebuildable, so the check uses none.
    const folded = foldJob(events);
    if (!folded) continue;
    const state = { status: folded.job.status, sources: [...folded.sources.values()] };
    for (const source of state.sources) {
      const key = `${jobId}/${source.sourceId}`;
      if (queues.deadLetteredSources.has(key) && !isSourceSettled(source)) {
        violations.push({
          rule: 'dlq-unrecorded',
          jobId,
          detail: `source ${source.sourceId} is in the dead-letter queue but ${source.status} on the job`,
        });
      }
    }
    if (!stream.open) continue;
    open.push(jobId);
    if (input.requireTerminal) {
      violations.push({ rule: 'not-terminal', jobId, detail: `status ${state.status} after the system went quiet` });
    }
    const unsettled = state.sources.filter((s) => !isSourceSettled(s));
    for (const source of unsettled) {
      if (!queues.queued.has(`${jobId}/${source.sourceId}`)) {
        violations.push({
          rule: 'message-lost',
          jobId,
          detail: `source ${source.sourceId} is ${source.status} and no message for it is queued or dead-lettered`,
        });
      }
    }
    const keys = state.sources.map((s) => `${jobId}/${s.sourceId}`);
    if (unsettled.length === 0 && !keys.some((k) => queues.queued.has(k))) {
      violations.push({
        rule: 'message-lost',
        jobId,
        detail: 'every source is settled, the job is not finalised, and no message is left to finalise it',
      });
    } else if (unsettled.length === 0 && !keys.some((k) => queues.inUploadQueue.has(k))) {
      // Rule 5: the message that was finalising the job died at its last attempt and nothing says so.
      violations.push({
        rule: 'dlq-unrecorded',
        jobId,
        detail: 'every source is settled, the job is not finalised, and its only message is in the dead-letter queue',
      });
    }
  }
  for (const id of input.expectQueued ?? []) {
    if (!queues.messageIds.has(id)) {
      violations.push({ rule: 'queue-accounting', detail: `message ${id} is in neither queue` });
    }
  }
  return { violations, jobs, terminal: jobs - open.length, open, terminalEvents, queues };
};

/** Fails with every violation listed; returns the report otherwise. */
export const assertNothingLost = async (input: NothingLostInput): Promise<NothingLostReport> => {
  const report = await checkNothingLost(input);
  assert.deepEqual(report.violations, [], `"nothing lost" is violated:\n${JSON.stringify(report.violations, null, 2)}`);
  return report;
};

export interface BlobsInput {
  readonly events: JobEventStore;
  readonly blobs: BlobStore;
  /** The DATA_DIR of the local stack: its files are read directly, temp files and sidecars included. */
  readonly dataDir: string;
}

const TEMP_FILE = /\.[0-9a-f-]{36}\.tmp$/;

/** Rules 7–9 over the local blob store of a quiet system: no orphan, no stray file, nothing counted but missing. */
export const checkBlobs = async (input: BlobsInput): Promise<Violation[]> => {
  const violations: Violation[] = [];
  const root = join(input.dataDir, 'blobs');
  const exists = new Map<string, boolean>();
  const jobExists = async (jobId: string) => {
    if (!exists.has(jobId)) exists.set(jobId, (await input.events.load(jobId)) !== undefined);
    return exists.get(jobId) === true;
  };
  let page: string | undefined;
  do {
    const jobs = await input.events.query({ limit: 100, cursor: page });
    for (const job of jobs.items) exists.set(job.id, true);
    page = jobs.cursor;
  } while (page);
  for (const base of ['objects', 'meta']) {
    for (const top of ['sources', 'results']) {
      const dir = join(root, base, top);
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        const key = relative(join(root, base), path).split(sep).join('/');
        const jobId = key.split('/')[1] ?? '';
        if (!(await jobExists(jobId))) {
          violations.push({ rule: 'orphan-blob', jobId, detail: `${base}/${key} belongs to no job` });
        } else if (TEMP_FILE.test(entry.name)) {
          violations.push({ rule: 'stray-file', jobId, detail: `${base}/${key} is an unfinished write` });
        } else if (base === 'meta' && !existsSync(join(root, 'objects', key.replace(/\.json$/, '')))) {
          violations.push({ rule: 'stray-file', jobId, detail: `${base}/${key} describes no object` });
        }
      }
    }
  }
  for (const [jobId, present] of exists) {
    if (!present) continue;
    const job = await input.events.load(jobId);
    if (!job) continue;
    if (job.status === 'completed' && job.archive && !(await input.blobs.head(job.archive.key))) {
      violations.push({ rule: 'missing-archive', jobId, detail: `${job.archive.key} is recorded but not stored` });
    }
    let cursor: string | undefined;
    do {
      const page = await input.events.sources(jobId, { limit: 1000, cursor });
      for (const source of page.items) {
        if (!source.ext) continue;
        for (let index = 0; index < outputsOf(job, source); index++) {
          if (!hasIndex(source.written, index)) continue;
          const key = blobKeys.variant(jobId, source.sourceId, index, source.ext);
          if (!(await input.blobs.head(key))) {
            violations.push({ rule: 'missing-variant', jobId, detail: `${key} is counted but not stored` });
          }
        }
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return violations;
};

export const assertBlobsConsistent = async (input: BlobsInput): Promise<void> => {
  const violations = await checkBlobs(input);
  assert.deepEqual(violations, [], `blob invariants are violated:\n${JSON.stringify(violations, null, 2)}`);
};

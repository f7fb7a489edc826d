import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { matchesPattern } from './event-pattern.js';
import type { RuleModel } from './infra-model.js';
import { chunks64k, countCall, type Usage } from './usage.js';

/** PutEvents limits (EventBridge API reference, PutEvents): 10 entries, 256 KB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Time?: number | string;
  readonly Resources?: string[];
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface EventBridgeStandInOptions {
  readonly region: string;
  readonly account: string;
  readonly buses: readonly string[];
  readonly rules: readonly RuleModel[];
  /** Topic name → ARN on the SNS emulator. */
  readonly topicArns: Readonly<Record<string, string>>;
  /** Publishes to the SNS emulator, through its counting boundary (EventBridge's publishes are billed by SNS). */
  readonly sns: SNSClient;
  readonly usage: Usage;
}

const awsTime = (time: number | string | undefined): string => {
  const date = time === undefined ? new Date() : new Date(typeof time === 'number' ? time * 1000 : time);
  return `${date.toISOString().slice(0, 19)}Z`;
};

/**
 * STAND-IN for EventBridge, which no npm emulator provides: PutEvents only (JSON 1.1 protocol,
 * `AWSEvents.PutEvents`). Like EventBridge it refuses a request of more than 10 entries or 256 KB
 * (ValidationException), fails an entry without Source, DetailType or a JSON-object Detail, or for an
 * unknown bus, with an ErrorCode in its result slot while the others succeed (FailedEntryCount), wraps
 * each accepted entry in the event envelope (version, id, detail-type, source, account, time, region,
 * resources, detail) and hands it to every target of every rule on that bus whose event pattern (read
 * from infra) matches. Targets are SNS topics: the envelope is published as the message. Unlike
 * EventBridge, delivery is synchronous and targets are not retried.
 */
export const startEventBridgeStandIn = async (
  options: EventBridgeStandInOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> => {
  const putEntry = async (entry: PutEventsEntry): Promise<EntryResult> => {
    const bus = entry.EventBusName ?? 'default';
    if (!options.buses.includes(bus)) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `Event bus ${bus} does not exist.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? '');
    } catch {
      detail = undefined;
    }
    if (!entry.Source || !entry.DetailType || typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return {
        ErrorCode: 'MalformedDetail',
        ErrorMessage: 'Source, DetailType and a JSON object Detail are required.',
      };
    }
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: options.account,
      time: awsTime(entry.Time),
      region: options.region,
      resources: entry.Resources ?? [],
      detail,
    };
    options.usage.eventbridge.events += chunks64k(Buffer.byteLength(JSON.stringify(entry)));
    for (const rule of options.rules) {
      if (rule.eventBusName !== bus || !matchesPattern(rule.eventPattern, event)) continue;
      for (const topic of rule.topics) {
        const TopicArn = options.topicArns[topic];
        if (!TopicArn) throw new Error(`EventBridge stand-in: rule ${rule.name} targets unknown topic ${topic}`);
        await options.sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify(event) }));
      }
    }
    return { EventId: event.id };
  };

  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const target = String(request.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        response.end(JSON.stringify(body));
      };
      countCall(options.usage, 'eventbridge', target.replace('AWSEvents.', ''));
      if (target !== 'AWSEvents.PutEvents') {
        return reply(400, {
          __type: 'UnknownOperationException',
          message: `the stand-in serves PutEvents only, not ${target}`,
        });
      }
      const { Entries = [] } = JSON.parse(raw.toString('utf8') || '{}') as { Entries?: PutEventsEntry[] };
      if (Entries.length < 1 || Entries.length > MAX_ENTRIES) {
        return reply(400, {
          __type: 'ValidationException',
          message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
        });
      }
      if (raw.length > MAX_REQUEST_BYTES) {
        return reply(400, {
          __type: 'ValidationException',
          message: 'Total size of the entries in the request is over the limit.',
        });
      }
      const results: EntryResult[] = [];
      for (const entry of Entries) results.push(await putEntry(entry));
      reply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'InternalException', message: (error as Error).message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMO_TABLE_SCHEMA, OWNER_INDEX_ATTRIBUTES } from '@delta-augment/ports/aws';
import dynalite from 'dynalite';

/**
 * dynalite (DynamoDB on an in-memory LevelDB) behind a small HTTP proxy on loopback.
 *
 * dynalite 4.0.0 has no TransactWriteItems (it answers UnknownOperationException, architect/dynalite#151),
 * so the proxy serves that one operation itself: under a lock that also serialises every other write, it
 * applies each action to dynalite as a single-item write carrying the action's own condition, and if one
 * fails it restores the items already written and answers TransactionCanceledException with cancellation
 * reasons, on the wire, as DynamoDB does. Conditions are evaluated by dynalite; every other operation is
 * forwarded untouched. Limitations: ConditionCheck actions are refused, and only the first failing
 * condition is reported (DynamoDB reports them all).
 */

const TARGET_PREFIX = 'DynamoDB_20120810.';
const READS = new Set([
  'GetItem',
  'BatchGetItem',
  'Query',
  'Scan',
  'DescribeTable',
  'ListTables',
  'DescribeTimeToLive',
]);
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  body: Json;
}

export interface DynaliteHandle {
  /** The proxy's address: what clients use. */
  readonly endpoint: string;
  client(): DynamoDBClient;
  /** A new table with the job store's key schema and `byOwner` index, named for this test only. */
  createJobsTable(): Promise<string>;
  close(): Promise<void>;
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const failure = (type: string, message: string, extra: Json = {}): Reply => ({
  status: 400,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra },
});

export const startDynalite = async (): Promise<DynaliteHandle> => {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = `http://127.0.0.1:${await listen(backend)}`;
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = lock.then(work, work);
    lock = run.catch(() => undefined);
    return run;
  };

  const call = async (operation: string, payload: Json, headers: Record<string, string>): Promise<Reply> => {
    const response = await fetch(backendUrl, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${TARGET_PREFIX}${operation}`,
      },
      body: JSON.stringify(payload),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };

  const keySchemas = new Map<string, string[]>();
  const keyNamesOf = async (table: string, headers: Record<string, string>): Promise<string[]> => {
    const known = keySchemas.get(table);
    if (known) return known;
    const described = await call('DescribeTable', { TableName: table }, headers);
    const schema = (described.body.Table as { KeySchema?: { AttributeName: string }[] } | undefined)?.KeySchema ?? [];
    const names = schema.map((k) => k.AttributeName);
    keySchemas.set(table, names);
    return names;
  };

  const transactWrite = async (input: Json, headers: Record<string, string>): Promise<Reply> => {
    const actions = (input.TransactItems as Json[] | undefined) ?? [];
    const planned: { operation: string; table: string; key: Json; payload: Json }[] = [];
    for (const action of actions) {
      const [kind, raw] = Object.entries(action)[0] ?? [];
      const params = { ...(raw as Json) };
      delete params.ReturnValuesOnConditionCheckFailure;
      const table = String(params.TableName);
      if (kind === 'ConditionCheck')
        return failure('ValidationException', 'test proxy: ConditionCheck is not supported');
      const item = (params.Item ?? params.Key) as Json;
      const names = await keyNamesOf(table, headers);
      const key = Object.fromEntries(names.map((name) => [name, item[name]]));
      const operation = kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : 'DeleteItem';
      planned.push({ operation, table, key, payload: params });
    }
    const ids = planned.map((p) => `${p.table}:${JSON.stringify(p.key)}`);
    if (new Set(ids).size !== ids.length) {
      return failure('ValidationException', 'Transaction request cannot include multiple operations on one item');
    }
    const done: { table: string; key: Json; before?: Json }[] = [];
    const rollBack = async () => {
      for (const step of done.reverse()) {
        if (step.before) await call('PutItem', { TableName: step.table, Item: step.before }, headers);
        else await call('DeleteItem', { TableName: step.table, Key: step.key }, headers);
      }
    };
    for (const [index, step] of planned.entries()) {
      const before = await call('GetItem', { TableName: step.table, Key: step.key, ConsistentRead: true }, headers);
      const result = await call(step.operation, step.payload, headers);
      if (result.status === 200) {
        done.push({ table: step.table, key: step.key, before: before.body.Item as Json | undefined });
        continue;
      }
      await rollBack();
      if (!String(result.body.__type).endsWith('ConditionalCheckFailedException')) return result;
      const reasons = planned.map((_, i) =>
        i === index ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } : { Code: 'None' },
      );
      return failure(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        { CancellationReasons: reasons },
      );
    }
    return { status: 200, body: {} };
  };

  const proxy = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const operation = String(request.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'x-amz-date']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const payload = JSON.parse(body || '{}') as Json;
      const reply =
        operation === 'TransactWriteItems'
          ? await exclusive(() => transactWrite(payload, headers))
          : READS.has(operation)
            ? await call(operation, payload, headers)
            : await exclusive(() => call(operation, payload, headers));
      response.writeHead(reply.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': randomUUID(),
      });
      response.end(JSON.stringify(reply.body));
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: 'InternalServerError', message: String(error) }));
    });
  });
  const endpoint = `http://127.0.0.1:${await listen(proxy)}`;
  const client = () => new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const admin = client();

  return {
    endpoint,
    client,
    createJobsTable: async () => {
      const TableName = `jobs-${randomUUID()}`;
      const { partitionKey, sortKey, ownerIndex } = DYNAMO_TABLE_SCHEMA;
      await admin.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [partitionKey, sortKey, ownerIndex.partitionKey, ownerIndex.sortKey].map(
            (AttributeName) => ({
              AttributeName,
              AttributeType: 'S',
            }),
          ),
          KeySchema: [
            { AttributeName: partitionKey, KeyType: 'HASH' },
            { AttributeName: sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: ownerIndex.name,
              KeySchema: [
                { AttributeName: ownerIndex.partitionKey, KeyType: 'HASH' },
                { AttributeName: ownerIndex.sortKey, KeyType: 'RANGE' },
              ],
              // The projection infra declares (tests/infra holds the two equal).
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...OWNER_INDEX_ATTRIBUTES] },
            },
          ],
        }),
      );
      return TableName;
    },
    close: async () => {
      admin.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
};

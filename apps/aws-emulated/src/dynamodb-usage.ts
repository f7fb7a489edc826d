import { createRequire } from 'node:module';
import type { BoundaryHooks, Exchange } from './boundary-proxy.js';
import { countCall, type Usage } from './usage.js';

type Json = Record<string, unknown>;

/** dynalite's own sizing (DynamoDB's documented item size rules): units of one item, 1 KB per write unit, 4 KB per read unit. */
const { capacityUnits } = createRequire(import.meta.url)('dynalite/db/index.js') as {
  capacityUnits: (item: Json | undefined, isRead: boolean, isConsistent?: boolean) => number;
};

const TARGET_PREFIX = 'DynamoDB_20120810.';
const ITEM_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);
const ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

const sumUnits = (consumed: unknown): number =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
    (sum: number, c) => sum + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0),
    0,
  );

/**
 * Counts DynamoDB calls and the read/write units they consume at the boundary. Item operations ask
 * dynalite for their consumed capacity (`ReturnConsumedCapacity: TOTAL`, stripped again when the
 * caller did not ask); TransactWriteItems, which the dynalite proxy implements itself, costs two
 * write units per KB of each item written (DynamoDB's rule for transactions), sized from the item
 * after the write with dynalite's sizing, plus one write unit per KB for each global secondary index
 * whose key attributes the written item carries (sized as the whole item: the INCLUDE projection leaves out only the TTL number).
 * GSI writes of single-item Put/Update calls are not counted (the job store writes through
 * transactions only).
 */
export const dynamoDbUsage = (
  usage: Usage,
  readItem: (table: string, key: Json) => Promise<Json | undefined>,
  /** Key attribute names of each global secondary index. */
  indexKeys: readonly (readonly string[])[] = [],
): BoundaryHooks => {
  const asked = new WeakMap<Exchange, boolean>();
  return {
    before: async (exchange) => {
      const operation = (exchange.headers.get('x-amz-target') ?? '').replace(TARGET_PREFIX, '');
      if (!ITEM_READS.has(operation) && !ITEM_WRITES.has(operation)) return undefined;
      const payload = JSON.parse(exchange.body.toString('utf8') || '{}') as Json;
      asked.set(exchange, payload.ReturnConsumedCapacity !== undefined && payload.ReturnConsumedCapacity !== 'NONE');
      if (!asked.get(exchange)) {
        (exchange as { body: Buffer }).body = Buffer.from(
          JSON.stringify({ ...payload, ReturnConsumedCapacity: 'TOTAL' }),
        );
      }
      return undefined;
    },
    after: async (exchange) => {
      const operation = (exchange.headers.get('x-amz-target') ?? '').replace(TARGET_PREFIX, '');
      countCall(usage, 'dynamodb', operation);
      if (exchange.status !== 200) return;
      if (operation === 'TransactWriteItems') {
        const { TransactItems = [] } = JSON.parse(exchange.body.toString('utf8')) as { TransactItems?: Json[] };
        for (const action of TransactItems) {
          const [kind, params] = Object.entries(action)[0] as [string, Json];
          const table = String(params.TableName);
          const item =
            kind === 'Put' ? (params.Item as Json) : await readItem(table, (params.Key ?? params.Item) as Json);
          usage.dynamodb.writeUnits += 2 * capacityUnits(item, false);
          for (const keys of indexKeys) {
            if (item && keys.every((k) => k in item)) usage.dynamodb.writeUnits += capacityUnits(item, false);
          }
        }
        return;
      }
      if (!ITEM_READS.has(operation) && !ITEM_WRITES.has(operation)) return;
      const body = JSON.parse(exchange.responseBody.toString('utf8') || '{}') as Json;
      const units = sumUnits(body.ConsumedCapacity);
      if (ITEM_READS.has(operation)) usage.dynamodb.readUnits += units;
      else usage.dynamodb.writeUnits += units;
      if (!asked.get(exchange)) {
        delete body.ConsumedCapacity;
        exchange.responseBody = Buffer.from(JSON.stringify(body));
      }
    },
  };
};

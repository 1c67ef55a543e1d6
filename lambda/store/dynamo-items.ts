// Small helpers shared by the DynamoDB adapters.
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { TABLE_KEYS } from './table-schema';

export type Item = Record<string, AttributeValue>;

/** The table's key attributes, as every stored row has them. */
export interface KeyRow {
  [TABLE_KEYS.partitionKey]: string;
  [TABLE_KEYS.sortKey]: string;
}

/** An item (or a key, or expression values) from plain values; undefined ones are left out. */
export const toItem = (values: object): Item => marshall(values, { removeUndefinedValues: true });
/** An item's attributes as plain values, typed as the row the adapter stored. */
export const fromItem = <Row>(item: Item): Row => unmarshall(item) as Row;

export const pad = (value: number, width: number) => String(value).padStart(width, '0');

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write: false when its condition did not hold. */
export async function conditionally(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * One page of a partition of the table's index (vaults, uploads by last activity, due jobs,
 * purge tasks by due time): with `below`, only entries whose index sort key is less.
 */
export async function queryIndexPage<T>(
  db: DynamoDBClient,
  table: string,
  partition: string,
  below: string | undefined,
  map: (item: Item) => T,
  cursor?: string,
): Promise<{ items: T[]; cursor?: string }> {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      IndexName: TABLE_KEYS.listIndex,
      KeyConditionExpression: below === undefined ? '#list = :partition' : '#list = :partition AND #listOrder < :below',
      ExpressionAttributeNames: {
        '#list': TABLE_KEYS.listKey,
        ...(below !== undefined && { '#listOrder': TABLE_KEYS.listOrderKey }),
      },
      ExpressionAttributeValues: toItem({ ':partition': partition, ':below': below }),
      ExclusiveStartKey: decodeCursor(cursor),
    }),
  );
  return { items: (out.Items ?? []).map(map), cursor: encodeCursor(out.LastEvaluatedKey) };
}

/**
 * Reads up to `limit` items of a query, page after page (a filter may thin pages out), and
 * says whether more exist by reading one item beyond.
 */
export async function queryLimited<T>(
  db: DynamoDBClient,
  input: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>,
  limit: number,
  map: (item: Item) => T,
  startKey?: Item,
): Promise<{ items: T[]; cursor?: string }> {
  const items: T[] = [];
  let start = startKey;
  while (items.length <= limit) {
    const out = await db.send(
      new QueryCommand({
        ...input,
        ConsistentRead: true,
        Limit: Math.max(limit + 1 - items.length, input.FilterExpression ? 25 : 1),
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []).map(map));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return { items: items.slice(0, limit), cursor: items.length > limit ? 'more' : undefined };
}

/** Every item of a query, page after page, read consistently. */
export async function queryAll<T>(
  db: DynamoDBClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  map: (item: Item) => T,
): Promise<T[]> {
  const items: T[] = [];
  let start: Item | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []).map(map));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export const encodeCursor = (key: Item | undefined) => (key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined);
export const decodeCursor = (cursor: string | undefined): Item | undefined =>
  cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Item) : undefined;

type WriteRequest = { DeleteRequest: { Key: Item } } | { PutRequest: { Item: Item } };

/** Writes 25 at a time, retrying what DynamoDB leaves unprocessed. */
export async function batchWrite(db: DynamoDBClient, table: string, writes: WriteRequest[]): Promise<void> {
  for (let first = 0; first < writes.length; first += 25) {
    let requests = writes.slice(first, first + 25);
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  }
}

export function batchDelete(db: DynamoDBClient, table: string, keys: Item[]): Promise<void> {
  return batchWrite(
    db,
    table,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
  );
}

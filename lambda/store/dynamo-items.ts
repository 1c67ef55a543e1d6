// Small helpers shared by the DynamoDB adapters.
import { type AttributeValue, BatchWriteItemCommand, ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
export const str = (item: Item, name: string) => item[name]?.S;
export const num = (item: Item, name: string) => (item[name]?.N === undefined ? undefined : Number(item[name].N));
export const pad = (value: number, width: number) => String(value).padStart(width, '0');

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
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

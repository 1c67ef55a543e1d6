import {
  type DynamoDBClient,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import { conditionally, fromItem, queryAll, toItem, type Item, type KeyRow } from './dynamo-items';
import type { AccessKeyRecord, Credentials, IdentityStore, UserRecord } from '../domain/ports';

interface KeyItem extends KeyRow {
  secret: string;
  accountId: string;
  createdDate: string;
  status: string;
  userName?: string;
}

interface UserItem extends KeyRow {
  createdDate: string;
  policy?: string;
}

const keyRow = (accessKeyId: string): KeyRow => ({ [K.partitionKey]: `K#${accessKeyId}`, [K.sortKey]: '-' });
const userRow = (accountId: string, userName: string): KeyRow => ({ [K.partitionKey]: `U#${accountId}`, [K.sortKey]: userName });
const keyKey = (accessKeyId: string): Item => toItem(keyRow(accessKeyId));
const userKey = (accountId: string, userName: string): Item => toItem(userRow(accountId, userName));

function toKey(item: Item): AccessKeyRecord {
  const row = fromItem<KeyItem>(item);
  const key: AccessKeyRecord = {
    accessKeyId: row[K.partitionKey].slice(2),
    secretAccessKey: row.secret,
    accountId: row.accountId,
    createdDate: row.createdDate,
    status: row.status === 'Revoked' ? 'Revoked' : 'Active',
  };
  if (row.userName) key.userName = row.userName;
  return key;
}

function toUser(item: Item): UserRecord {
  const row = fromItem<UserItem>(item);
  const user: UserRecord = { accountId: row[K.partitionKey].slice(2), userName: row[K.sortKey], createdDate: row.createdDate };
  if (row.policy !== undefined) user.policy = row.policy;
  return user;
}

/** Access keys and users in the one table (DynamoDB encrypts them at rest). */
export class DynamoIdentityStore implements IdentityStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async lookup(accessKeyId: string): Promise<Credentials | undefined> {
    const key = await this.getKey(accessKeyId);
    if (!key || key.status !== 'Active') return undefined;
    return { accountId: key.accountId, secretAccessKey: key.secretAccessKey, ...(key.userName && { userName: key.userName }) };
  }

  async putKey(key: AccessKeyRecord): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({
          ...keyRow(key.accessKeyId),
          secret: key.secretAccessKey,
          accountId: key.accountId,
          createdDate: key.createdDate,
          status: key.status,
          userName: key.userName || undefined,
        } satisfies KeyItem),
      }),
    );
  }

  async getKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyKey(accessKeyId), ConsistentRead: true }));
    return out.Item ? toKey(out.Item) : undefined;
  }

  async listKeys(accountId?: string): Promise<AccessKeyRecord[]> {
    // Keys are few and listed only by the admin command: a filtered scan is enough.
    const keys: AccessKeyRecord[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'begins_with(#pk, :k)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({ ':k': 'K#' }),
          ExclusiveStartKey: start,
        }),
      );
      keys.push(...(out.Items ?? []).map(toKey));
      start = out.LastEvaluatedKey;
    } while (start);
    return keys
      .filter((key) => accountId === undefined || key.accountId === accountId)
      .sort((a, b) => a.createdDate.localeCompare(b.createdDate));
  }

  async revokeKey(accessKeyId: string): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyKey(accessKeyId),
          UpdateExpression: 'SET #status = :revoked',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#status': 'status' },
          ExpressionAttributeValues: toItem({ ':revoked': 'Revoked' }),
        }),
      ),
    );
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({
          ...userRow(user.accountId, user.userName),
          createdDate: user.createdDate,
          policy: user.policy,
        } satisfies UserItem),
      }),
    );
  }

  async getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: userKey(accountId, userName), ConsistentRead: true }));
    return out.Item ? toUser(out.Item) : undefined;
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return queryAll(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: toItem({ ':pk': `U#${accountId}` }),
      },
      toUser,
    );
  }

  async deleteUser(accountId: string, userName: string): Promise<boolean> {
    const out = await this.db.send(
      new DeleteItemCommand({ TableName: this.table, Key: userKey(accountId, userName), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}

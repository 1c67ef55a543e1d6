import {
  type DynamoDBClient,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import { conditionally, queryAll, type Item, s, str } from './dynamo-items';
import type { AccessKeyRecord, Credentials, IdentityStore, UserRecord } from '../domain/ports';

const keyKey = (accessKeyId: string): Item => ({ [K.partitionKey]: s(`K#${accessKeyId}`), [K.sortKey]: s('-') });
const userKey = (accountId: string, userName: string): Item => ({ [K.partitionKey]: s(`U#${accountId}`), [K.sortKey]: s(userName) });

function toKey(item: Item): AccessKeyRecord {
  const key: AccessKeyRecord = {
    accessKeyId: (str(item, K.partitionKey) as string).slice(2),
    secretAccessKey: str(item, 'secret') as string,
    accountId: str(item, 'accountId') as string,
    createdDate: str(item, 'createdDate') as string,
    status: str(item, 'status') === 'Revoked' ? 'Revoked' : 'Active',
  };
  const userName = str(item, 'userName');
  if (userName) key.userName = userName;
  return key;
}

function toUser(item: Item): UserRecord {
  const user: UserRecord = {
    accountId: (str(item, K.partitionKey) as string).slice(2),
    userName: str(item, K.sortKey) as string,
    createdDate: str(item, 'createdDate') as string,
  };
  const policy = str(item, 'policy');
  if (policy !== undefined) user.policy = policy;
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
        Item: {
          ...keyKey(key.accessKeyId),
          secret: s(key.secretAccessKey),
          accountId: s(key.accountId),
          createdDate: s(key.createdDate),
          status: s(key.status),
          ...(key.userName && { userName: s(key.userName) }),
        },
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
          ExpressionAttributeValues: { ':k': s('K#') },
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
          ExpressionAttributeValues: { ':revoked': s('Revoked') },
        }),
      ),
    );
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...userKey(user.accountId, user.userName),
          createdDate: s(user.createdDate),
          ...(user.policy !== undefined && { policy: s(user.policy) }),
        },
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
        ExpressionAttributeValues: { ':pk': s(`U#${accountId}`) },
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

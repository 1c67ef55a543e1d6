import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import { fromItem, isConditionFailure, toItem, type Item } from './dynamo-items';
import type { AccountSettings, AccountStore } from '../domain/account-ports';

const settingKey = (accountId: string, name: string): Item => toItem({ [K.partitionKey]: `C#${accountId}`, [K.sortKey]: name });

/**
 * Account settings in the one table, an item each (layout in table-schema.ts), as JSON text.
 * Compare-and-set compares that text, so a value must serialise the same way after a read.
 */
export class DynamoAccountStore implements AccountStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async getAccountSetting<N extends keyof AccountSettings>(accountId: string, name: N): Promise<AccountSettings[N] | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: settingKey(accountId, name), ConsistentRead: true }));
    const text = out.Item && fromItem<{ value: string }>(out.Item).value;
    return text === undefined ? undefined : (JSON.parse(text) as AccountSettings[N]);
  }

  async setAccountSetting<N extends keyof AccountSettings>(
    accountId: string,
    name: N,
    value: AccountSettings[N] | undefined,
    expected?: AccountSettings[N] | null,
  ): Promise<boolean> {
    let condition: { ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item } =
      {};
    if (expected === null)
      condition = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': K.partitionKey } };
    else if (expected !== undefined) {
      condition = {
        ConditionExpression: '#value = :expected',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: toItem({ ':expected': JSON.stringify(expected) }),
      };
    }
    try {
      if (value === undefined) {
        await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: settingKey(accountId, name), ...condition }));
      } else {
        const item = { ...settingKey(accountId, name), ...toItem({ value: JSON.stringify(value) }) };
        await this.db.send(new PutItemCommand({ TableName: this.table, Item: item, ...condition }));
      }
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

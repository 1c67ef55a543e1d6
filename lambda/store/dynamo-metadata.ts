import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import {
  queryIndexPage,
  queryLimited,
  batchDelete,
  decodeCursor,
  encodeCursor,
  isConditionFailure,
  conditionally,
  fromItem,
  toItem,
  type Item,
} from './dynamo-items';
import { archiveKey, archivePk, chunkRow, toArchive, toVault, vaultKey, type ArchiveItem } from './dynamo-metadata-items';
import type {
  ArchiveRecord,
  DeleteArchiveOutcome,
  DeleteVaultOutcome,
  InventoryEntry,
  InventorySummary,
  MetadataStore,
  Page,
  VaultRecord,
  VaultSettings,
} from '../domain/ports';

const ARCHIVE_PAGE = 1000;
const TOMBSTONE_DAYS = 90;

/** Metadata in one DynamoDB table (layout in table-schema.ts). Single-item conditional writes only. */
export class DynamoMetadataStore implements MetadataStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async getVault(accountId: string, vaultName: string): Promise<VaultRecord | undefined> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: vaultKey(accountId, vaultName), ConsistentRead: true }),
    );
    return out.Item ? toVault(out.Item) : undefined;
  }

  async createVault(vault: VaultRecord): Promise<boolean> {
    return conditionally(
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...vaultKey(vault.accountId, vault.vaultName),
            ...toItem({
              [K.listKey]: 'VAULT',
              [K.listOrderKey]: `${vault.accountId}#${vault.vaultName}`,
              creationDate: vault.creationDate,
            }),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        }),
      ),
    );
  }

  async countVaults(accountId: string): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :v)',
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
          ExpressionAttributeValues: toItem({ ':pk': `A#${accountId}`, ':v': 'V#' }),
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async listVaults(accountId: string, startAfter: string | undefined, limit: number): Promise<Page<VaultRecord>> {
    return queryLimited(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :v)',
        ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
        ExpressionAttributeValues: toItem({ ':pk': `A#${accountId}`, ':v': 'V#' }),
      },
      limit,
      toVault,
      startAfter === undefined ? undefined : vaultKey(accountId, startAfter),
    );
  }

  async scanVaults(cursor?: string): Promise<Page<VaultRecord>> {
    return queryIndexPage(this.db, this.table, 'VAULT', undefined, toVault, cursor);
  }

  async deleteVaultIfIdle(accountId: string, vaultName: string): Promise<DeleteVaultOutcome> {
    try {
      const out = await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: vaultKey(accountId, vaultName),
          ConditionExpression:
            'attribute_not_exists(#pk) OR attribute_not_exists(lastWriteMs) OR (invCount = :zero AND lastWriteMs < invAsOfMs)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({ ':zero': 0 }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? 'deleted' : 'absent';
    } catch (error) {
      if (isConditionFailure(error)) return 'not-empty';
      throw error;
    }
  }

  async recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<string | undefined> {
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: vaultKey(accountId, vaultName),
          UpdateExpression: 'SET lastWriteMs = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({ ':at': atMs }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toVault(out.Attributes).creationDate : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async createArchive(archive: ArchiveRecord): Promise<boolean> {
    return conditionally(
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem({
            [K.partitionKey]: archivePk(archive.accountId, archive.vaultName),
            [K.sortKey]: archive.archiveId,
            description: archive.description,
            size: archive.size,
            treeHash: archive.treeHash,
            creationDate: archive.creationDate,
            layout: JSON.stringify(archive.layout),
          } satisfies ArchiveItem),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        }),
      ),
    );
  }

  async getArchive(accountId: string, vaultName: string, archiveId: string): Promise<ArchiveRecord | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: archiveKey(accountId, vaultName, archiveId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? toArchive(accountId, vaultName, out.Item) : undefined;
  }

  async markArchiveDeleted(accountId: string, vaultName: string, archiveId: string, date: string): Promise<DeleteArchiveOutcome> {
    const expiresAt = Math.floor(Date.parse(date) / 1000) + TOMBSTONE_DAYS * 86400;
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: archiveKey(accountId, vaultName, archiveId),
          UpdateExpression: 'SET deletedDate = :date, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(deletedDate)',
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#ttl': K.ttlAttribute },
          ExpressionAttributeValues: toItem({ ':date': date, ':ttl': expiresAt }),
        }),
      );
      return 'deleted';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.getArchive(accountId, vaultName, archiveId);
      return existing ? 'already-deleted' : 'absent';
    }
  }

  async listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: toItem({ ':pk': archivePk(accountId, vaultName) }),
        ConsistentRead: true,
        Limit: ARCHIVE_PAGE,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return { items: (out.Items ?? []).map((item) => toArchive(accountId, vaultName, item)), cursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async setVaultSetting<K extends keyof VaultSettings>(
    accountId: string,
    vaultName: string,
    name: K,
    value: VaultSettings[K] | undefined,
    expected?: VaultSettings[K] | null,
  ): Promise<boolean> {
    const values = toItem({
      ':expected': expected === undefined || expected === null ? undefined : JSON.stringify(expected),
      ':value': value === undefined ? undefined : JSON.stringify(value),
    });
    let condition = 'attribute_exists(#pk)';
    if (expected === null) condition += ' AND attribute_not_exists(#setting)';
    else if (expected !== undefined) condition += ' AND #setting = :expected';
    return conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: vaultKey(accountId, vaultName),
          UpdateExpression: value === undefined ? 'REMOVE #setting' : 'SET #setting = :value',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#setting': name },
          ...(Object.keys(values).length > 0 && { ExpressionAttributeValues: values }),
        }),
      ),
    );
  }

  async putInventoryChunk(
    accountId: string,
    vaultName: string,
    inventoryId: string,
    index: number,
    entries: InventoryEntry[],
  ): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({ ...chunkRow(accountId, vaultName, inventoryId, index), entries: JSON.stringify(entries) }),
      }),
    );
  }

  async getInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number): Promise<InventoryEntry[] | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: toItem(chunkRow(accountId, vaultName, inventoryId, index)),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (JSON.parse(fromItem<{ entries: string }>(out.Item).entries) as InventoryEntry[]) : undefined;
  }

  async deleteInventoryChunks(accountId: string, vaultName: string, inventoryId: string, count: number): Promise<void> {
    const keys = Array.from({ length: count }, (_, index) => toItem(chunkRow(accountId, vaultName, inventoryId, index)));
    await batchDelete(this.db, this.table, keys);
  }

  async commitInventory(vault: VaultRecord, summary: InventorySummary): Promise<{ replaced?: InventorySummary } | false> {
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: vaultKey(vault.accountId, vault.vaultName),
          UpdateExpression: 'SET invId = :id, invDate = :date, invAsOfMs = :asOf, invCount = :count, invSize = :size, invChunks = :chunks',
          // Only the vault that was scanned, and never back to an older inventory.
          ConditionExpression:
            'attribute_exists(#pk) AND creationDate = :created AND (attribute_not_exists(invAsOfMs) OR invAsOfMs < :asOf)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({
            ':id': summary.id,
            ':date': summary.date,
            ':asOf': summary.asOfMs,
            ':count': summary.numberOfArchives,
            ':size': summary.sizeInBytes,
            ':chunks': summary.chunks,
            ':created': vault.creationDate,
          }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = out.Attributes ? toVault(out.Attributes) : undefined;
      return { replaced: old?.inventory };
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

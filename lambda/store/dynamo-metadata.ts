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
  type Item,
  n,
  num,
  pad,
  s,
  str,
} from './dynamo-items';
import type {
  ArchiveLayout,
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
const VAULT_SETTINGS: readonly (keyof VaultSettings)[] = ['notifications', 'tags', 'accessPolicy', 'lock'];
const TOMBSTONE_DAYS = 90;

const vaultKey = (accountId: string, vaultName: string): Item => ({
  [K.partitionKey]: s(`A#${accountId}`),
  [K.sortKey]: s(`V#${vaultName}`),
});
const archivePk = (accountId: string, vaultName: string) => s(`R#${accountId}#${vaultName}`);
const inventoryPk = (accountId: string, vaultName: string) => s(`I#${accountId}#${vaultName}`);
const chunkSk = (inventoryId: string, index: number) => s(`${inventoryId}#${pad(index, 6)}`);

function toVault(item: Item): VaultRecord {
  const [accountId, vaultName] = [(str(item, K.partitionKey) as string).slice(2), (str(item, K.sortKey) as string).slice(2)];
  const vault: VaultRecord = { accountId, vaultName, creationDate: str(item, 'creationDate') as string };
  const lastWriteMs = num(item, 'lastWriteMs');
  if (lastWriteMs !== undefined) vault.lastWriteMs = lastWriteMs;
  for (const name of VAULT_SETTINGS) {
    const value = str(item, name);
    if (value !== undefined) Object.assign(vault, { [name]: JSON.parse(value) as unknown });
  }
  const inventoryId = str(item, 'invId');
  if (inventoryId !== undefined) {
    vault.inventory = {
      id: inventoryId,
      date: str(item, 'invDate') as string,
      asOfMs: num(item, 'invAsOfMs') as number,
      numberOfArchives: num(item, 'invCount') as number,
      sizeInBytes: num(item, 'invSize') as number,
      chunks: num(item, 'invChunks') as number,
    };
  }
  return vault;
}

function toArchive(accountId: string, vaultName: string, item: Item): ArchiveRecord {
  const archive: ArchiveRecord = {
    accountId,
    vaultName,
    archiveId: str(item, K.sortKey) as string,
    description: str(item, 'description') ?? '',
    size: num(item, 'size') as number,
    treeHash: str(item, 'treeHash') as string,
    creationDate: str(item, 'creationDate') as string,
    layout: JSON.parse(str(item, 'layout') as string) as ArchiveLayout,
  };
  const deletedDate = str(item, 'deletedDate');
  if (deletedDate) archive.deletedDate = deletedDate;
  return archive;
}

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
            [K.listKey]: s('VAULT'),
            [K.listOrderKey]: s(`${vault.accountId}#${vault.vaultName}`),
            creationDate: s(vault.creationDate),
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
          ExpressionAttributeValues: { ':pk': s(`A#${accountId}`), ':v': s('V#') },
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
        ExpressionAttributeValues: { ':pk': s(`A#${accountId}`), ':v': s('V#') },
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
          ExpressionAttributeValues: { ':zero': n(0) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? 'deleted' : 'absent';
    } catch (error) {
      if (isConditionFailure(error)) return 'not-empty';
      throw error;
    }
  }

  async recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: vaultKey(accountId, vaultName),
          UpdateExpression: 'SET lastWriteMs = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: { ':at': n(atMs) },
        }),
      ),
    );
  }

  async createArchive(archive: ArchiveRecord): Promise<boolean> {
    return conditionally(
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            [K.partitionKey]: archivePk(archive.accountId, archive.vaultName),
            [K.sortKey]: s(archive.archiveId),
            description: s(archive.description),
            size: n(archive.size),
            treeHash: s(archive.treeHash),
            creationDate: s(archive.creationDate),
            layout: s(JSON.stringify(archive.layout)),
          },
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
        Key: { [K.partitionKey]: archivePk(accountId, vaultName), [K.sortKey]: s(archiveId) },
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
          Key: { [K.partitionKey]: archivePk(accountId, vaultName), [K.sortKey]: s(archiveId) },
          UpdateExpression: 'SET deletedDate = :date, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(deletedDate)',
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#ttl': K.ttlAttribute },
          ExpressionAttributeValues: { ':date': s(date), ':ttl': n(expiresAt) },
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
        ExpressionAttributeValues: { ':pk': archivePk(accountId, vaultName) },
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
    const values: Item = {};
    let condition = 'attribute_exists(#pk)';
    if (expected === null) condition += ' AND attribute_not_exists(#setting)';
    else if (expected !== undefined) {
      condition += ' AND #setting = :expected';
      values[':expected'] = s(JSON.stringify(expected));
    }
    if (value !== undefined) values[':value'] = s(JSON.stringify(value));
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
        Item: {
          [K.partitionKey]: inventoryPk(accountId, vaultName),
          [K.sortKey]: chunkSk(inventoryId, index),
          entries: s(JSON.stringify(entries)),
        },
      }),
    );
  }

  async getInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number): Promise<InventoryEntry[] | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { [K.partitionKey]: inventoryPk(accountId, vaultName), [K.sortKey]: chunkSk(inventoryId, index) },
        ConsistentRead: true,
      }),
    );
    const entries = out.Item ? str(out.Item, 'entries') : undefined;
    return entries === undefined ? undefined : (JSON.parse(entries) as InventoryEntry[]);
  }

  async deleteInventoryChunks(accountId: string, vaultName: string, inventoryId: string, count: number): Promise<void> {
    const keys = Array.from({ length: count }, (_, index) => ({
      [K.partitionKey]: inventoryPk(accountId, vaultName),
      [K.sortKey]: chunkSk(inventoryId, index),
    }));
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
          ExpressionAttributeValues: {
            ':id': s(summary.id),
            ':date': s(summary.date),
            ':asOf': n(summary.asOfMs),
            ':count': n(summary.numberOfArchives),
            ':size': n(summary.sizeInBytes),
            ':chunks': n(summary.chunks),
            ':created': s(vault.creationDate),
          },
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

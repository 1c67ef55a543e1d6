import { type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import {
  queryAll,
  queryIndexPage,
  queryLimited,
  batchDelete,
  isConditionFailure,
  conditionally,
  fromItem,
  toItem,
  type Item,
  type KeyRow,
  pad,
} from './dynamo-items';
import type { AbortOutcome, Page, PartRecord, UploadRecord, UploadStore } from '../domain/ports';

interface UploadItem extends KeyRow {
  description?: string;
  partSize: number;
  creationDate: string;
  lastActivityMs: number;
  reservedArchiveId?: string;
  completedArchiveId?: string;
  completedSize?: number;
  completedTreeHash?: string;
  completedDate?: string;
  aborted?: boolean;
}

interface PartItem extends KeyRow {
  size: number;
  treeHash: string;
  blobKey: string;
}

const uploadRow = (accountId: string, vaultName: string, uploadId: string): KeyRow => ({
  [K.partitionKey]: `M#${accountId}#${vaultName}`,
  [K.sortKey]: uploadId,
});
const uploadKey = (accountId: string, vaultName: string, uploadId: string): Item => toItem(uploadRow(accountId, vaultName, uploadId));
const partPk = (accountId: string, vaultName: string, uploadId: string) => `P#${accountId}#${vaultName}#${uploadId}`;
const partSk = (index: number) => pad(index, 5);
const activityKey = (atMs: number, accountId: string, vaultName: string, uploadId: string) =>
  `${pad(atMs, 15)}#${accountId}#${vaultName}#${uploadId}`;
const segmentsRow = (accountId: string, vaultName: string, archiveId: string, chunk: number): KeyRow => ({
  [K.partitionKey]: `G#${accountId}#${vaultName}`,
  [K.sortKey]: `${archiveId}#${pad(chunk, 5)}`,
});

const OPEN =
  'attribute_exists(#pk) AND attribute_not_exists(completedArchiveId) AND attribute_not_exists(reservedArchiveId) AND attribute_not_exists(aborted)';

function toUpload(item: Item): UploadRecord {
  const row = fromItem<UploadItem>(item);
  const [, accountId, vaultName] = row[K.partitionKey].split('#');
  const upload: UploadRecord = {
    accountId,
    vaultName,
    uploadId: row[K.sortKey],
    description: row.description ?? '',
    partSize: row.partSize,
    creationDate: row.creationDate,
    lastActivityMs: row.lastActivityMs,
  };
  if (row.reservedArchiveId) upload.reservedArchiveId = row.reservedArchiveId;
  if (row.completedArchiveId) {
    upload.completed = {
      archiveId: row.completedArchiveId,
      size: row.completedSize as number,
      treeHash: row.completedTreeHash as string,
      date: row.completedDate as string,
    };
  }
  if (row.aborted) upload.aborted = true;
  return upload;
}

function toPart(item: Item): PartRecord {
  const row = fromItem<PartItem>(item);
  return { index: Number(row[K.sortKey]), size: row.size, treeHash: row.treeHash, blobKey: row.blobKey };
}

/** Multipart uploads, their parts, and the segment lists of multipart archives, in the one table. */
export class DynamoUploadStore implements UploadStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async createUpload(upload: UploadRecord): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({
          ...uploadRow(upload.accountId, upload.vaultName, upload.uploadId),
          [K.listKey]: 'UPLOAD',
          [K.listOrderKey]: activityKey(upload.lastActivityMs, upload.accountId, upload.vaultName, upload.uploadId),
          description: upload.description,
          partSize: upload.partSize,
          creationDate: upload.creationDate,
          lastActivityMs: upload.lastActivityMs,
        }),
      }),
    );
  }

  async getUpload(accountId: string, vaultName: string, uploadId: string): Promise<UploadRecord | undefined> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: uploadKey(accountId, vaultName, uploadId), ConsistentRead: true }),
    );
    return out.Item ? toUpload(out.Item) : undefined;
  }

  async listUploads(accountId: string, vaultName: string, startAfter: string | undefined, limit: number): Promise<Page<UploadRecord>> {
    return queryLimited(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: 'attribute_not_exists(completedArchiveId) AND attribute_not_exists(aborted)',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: toItem({ ':pk': `M#${accountId}#${vaultName}` }),
      },
      limit,
      toUpload,
      startAfter === undefined ? undefined : uploadKey(accountId, vaultName, startAfter),
    );
  }

  async putPart(accountId: string, vaultName: string, uploadId: string, part: PartRecord): Promise<string | undefined> {
    const out = await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({
          [K.partitionKey]: partPk(accountId, vaultName, uploadId),
          [K.sortKey]: partSk(part.index),
          size: part.size,
          treeHash: part.treeHash,
          blobKey: part.blobKey,
        } satisfies PartItem),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes ? fromItem<PartItem>(out.Attributes).blobKey : undefined;
  }

  async listParts(accountId: string, vaultName: string, uploadId: string, fromIndex: number, limit: number): Promise<Page<PartRecord>> {
    return queryLimited(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND #sk >= :from',
        ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
        ExpressionAttributeValues: toItem({ ':pk': partPk(accountId, vaultName, uploadId), ':from': partSk(fromIndex) }),
      },
      limit,
      toPart,
    );
  }

  async touchUpload(accountId: string, vaultName: string, uploadId: string, atMs: number): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: uploadKey(accountId, vaultName, uploadId),
          UpdateExpression: 'SET lastActivityMs = :at, #listOrder = :listOrder',
          ConditionExpression: OPEN,
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#listOrder': K.listOrderKey },
          ExpressionAttributeValues: toItem({ ':at': atMs, ':listOrder': activityKey(atMs, accountId, vaultName, uploadId) }),
        }),
      ),
    );
  }

  async reserveArchiveId(accountId: string, vaultName: string, uploadId: string, candidate: string): Promise<string | undefined> {
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: uploadKey(accountId, vaultName, uploadId),
          UpdateExpression: 'SET reservedArchiveId = if_not_exists(reservedArchiveId, :candidate)',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(aborted)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({ ':candidate': candidate }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem<UploadItem>(out.Attributes).reservedArchiveId : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async markCompleted(
    accountId: string,
    vaultName: string,
    uploadId: string,
    completed: NonNullable<UploadRecord['completed']>,
  ): Promise<void> {
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: uploadKey(accountId, vaultName, uploadId),
        UpdateExpression: 'SET completedArchiveId = :id, completedSize = :size, completedTreeHash = :hash, completedDate = :date',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: toItem({
          ':id': completed.archiveId,
          ':size': completed.size,
          ':hash': completed.treeHash,
          ':date': completed.date,
        }),
      }),
    );
  }

  async markAborted(accountId: string, vaultName: string, uploadId: string, idleBeforeMs?: number): Promise<AbortOutcome> {
    const idle = idleBeforeMs === undefined ? '' : ' AND lastActivityMs < :before';
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: uploadKey(accountId, vaultName, uploadId),
          UpdateExpression: 'SET aborted = :yes',
          ConditionExpression: `attribute_exists(#pk) AND attribute_not_exists(completedArchiveId) AND attribute_not_exists(reservedArchiveId)${idle}`,
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: toItem({ ':yes': true, ':before': idleBeforeMs }),
        }),
      );
      return 'aborted';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const upload = await this.getUpload(accountId, vaultName, uploadId);
      if (!upload) return 'absent';
      if (upload.aborted) return 'aborted';
      return upload.completed || upload.reservedArchiveId ? 'completed' : 'active';
    }
  }

  async removeUpload(accountId: string, vaultName: string, uploadId: string): Promise<void> {
    // Read consistently: a part recorded just before the abort must not be missed, as nothing finds it once the upload is gone.
    const keys = await queryAll(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
        ExpressionAttributeValues: toItem({ ':pk': partPk(accountId, vaultName, uploadId) }),
        ProjectionExpression: '#pk, #sk',
      },
      (item) => item,
    );
    await batchDelete(this.db, this.table, [...keys, uploadKey(accountId, vaultName, uploadId)]);
  }

  async listIdleUploads(beforeMs: number, cursor?: string): Promise<Page<UploadRecord>> {
    return queryIndexPage(this.db, this.table, 'UPLOAD', pad(beforeMs, 15), toUpload, cursor);
  }

  async putSegments(accountId: string, vaultName: string, archiveId: string, chunk: number, blobKeys: string[]): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: toItem({ ...segmentsRow(accountId, vaultName, archiveId, chunk), keys: JSON.stringify(blobKeys) }),
      }),
    );
  }

  async deleteSegments(accountId: string, vaultName: string, archiveId: string, chunks: number): Promise<void> {
    const keys = Array.from({ length: chunks }, (_, chunk) => toItem(segmentsRow(accountId, vaultName, archiveId, chunk)));
    await batchDelete(this.db, this.table, keys);
  }

  async getSegments(accountId: string, vaultName: string, archiveId: string, chunk: number): Promise<string[] | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: toItem(segmentsRow(accountId, vaultName, archiveId, chunk)),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (JSON.parse(fromItem<{ keys: string }>(out.Item).keys) as string[]) : undefined;
  }
}

import { type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import {
  queryAll,
  queryIndexPage,
  queryLimited,
  batchDelete,
  isConditionFailure,
  conditionally,
  type Item,
  n,
  num,
  pad,
  s,
  str,
} from './dynamo-items';
import type { AbortOutcome, Page, PartRecord, UploadRecord, UploadStore } from '../domain/ports';

const uploadKey = (accountId: string, vaultName: string, uploadId: string): Item => ({
  [K.partitionKey]: s(`M#${accountId}#${vaultName}`),
  [K.sortKey]: s(uploadId),
});
const partPk = (accountId: string, vaultName: string, uploadId: string) => s(`P#${accountId}#${vaultName}#${uploadId}`);
const partSk = (index: number) => s(pad(index, 5));
const activityKey = (atMs: number, accountId: string, vaultName: string, uploadId: string) =>
  s(`${pad(atMs, 15)}#${accountId}#${vaultName}#${uploadId}`);

const OPEN =
  'attribute_exists(#pk) AND attribute_not_exists(completedArchiveId) AND attribute_not_exists(reservedArchiveId) AND attribute_not_exists(aborted)';

function toUpload(item: Item): UploadRecord {
  const [, accountId, vaultName] = (str(item, K.partitionKey) as string).split('#');
  const upload: UploadRecord = {
    accountId,
    vaultName,
    uploadId: str(item, K.sortKey) as string,
    description: str(item, 'description') ?? '',
    partSize: num(item, 'partSize') as number,
    creationDate: str(item, 'creationDate') as string,
    lastActivityMs: num(item, 'lastActivityMs') as number,
  };
  const reserved = str(item, 'reservedArchiveId');
  if (reserved) upload.reservedArchiveId = reserved;
  const archiveId = str(item, 'completedArchiveId');
  if (archiveId) {
    upload.completed = {
      archiveId,
      size: num(item, 'completedSize') as number,
      treeHash: str(item, 'completedTreeHash') as string,
      date: str(item, 'completedDate') as string,
    };
  }
  if (item.aborted?.BOOL) upload.aborted = true;
  return upload;
}

const toPart = (item: Item): PartRecord => ({
  index: Number(str(item, K.sortKey)),
  size: num(item, 'size') as number,
  treeHash: str(item, 'treeHash') as string,
  blobKey: str(item, 'blobKey') as string,
});

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
        Item: {
          ...uploadKey(upload.accountId, upload.vaultName, upload.uploadId),
          [K.listKey]: s('UPLOAD'),
          [K.listOrderKey]: activityKey(upload.lastActivityMs, upload.accountId, upload.vaultName, upload.uploadId),
          description: s(upload.description),
          partSize: n(upload.partSize),
          creationDate: s(upload.creationDate),
          lastActivityMs: n(upload.lastActivityMs),
        },
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
        ExpressionAttributeValues: { ':pk': s(`M#${accountId}#${vaultName}`) },
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
        Item: {
          [K.partitionKey]: partPk(accountId, vaultName, uploadId),
          [K.sortKey]: partSk(part.index),
          size: n(part.size),
          treeHash: s(part.treeHash),
          blobKey: s(part.blobKey),
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes ? str(out.Attributes, 'blobKey') : undefined;
  }

  async listParts(accountId: string, vaultName: string, uploadId: string, fromIndex: number, limit: number): Promise<Page<PartRecord>> {
    return queryLimited(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk AND #sk >= :from',
        ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
        ExpressionAttributeValues: { ':pk': partPk(accountId, vaultName, uploadId), ':from': partSk(fromIndex) },
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
          ExpressionAttributeValues: { ':at': n(atMs), ':listOrder': activityKey(atMs, accountId, vaultName, uploadId) },
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
          ExpressionAttributeValues: { ':candidate': s(candidate) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? str(out.Attributes, 'reservedArchiveId') : undefined;
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
        ExpressionAttributeValues: {
          ':id': s(completed.archiveId),
          ':size': n(completed.size),
          ':hash': s(completed.treeHash),
          ':date': s(completed.date),
        },
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
          ExpressionAttributeValues: { ':yes': { BOOL: true }, ...(idleBeforeMs !== undefined && { ':before': n(idleBeforeMs) }) },
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
        ExpressionAttributeValues: { ':pk': partPk(accountId, vaultName, uploadId) },
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
        Item: {
          [K.partitionKey]: s(`G#${accountId}#${vaultName}`),
          [K.sortKey]: s(`${archiveId}#${pad(chunk, 5)}`),
          keys: s(JSON.stringify(blobKeys)),
        },
      }),
    );
  }

  async deleteSegments(accountId: string, vaultName: string, archiveId: string, chunks: number): Promise<void> {
    const keys = Array.from({ length: chunks }, (_, chunk) => ({
      [K.partitionKey]: s(`G#${accountId}#${vaultName}`),
      [K.sortKey]: s(`${archiveId}#${pad(chunk, 5)}`),
    }));
    await batchDelete(this.db, this.table, keys);
  }

  async getSegments(accountId: string, vaultName: string, archiveId: string, chunk: number): Promise<string[] | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { [K.partitionKey]: s(`G#${accountId}#${vaultName}`), [K.sortKey]: s(`${archiveId}#${pad(chunk, 5)}`) },
        ConsistentRead: true,
      }),
    );
    const keys = out.Item ? str(out.Item, 'keys') : undefined;
    return keys === undefined ? undefined : (JSON.parse(keys) as string[]);
  }
}

import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import {
  queryAll,
  queryIndexPage,
  queryLimited,
  batchWrite,
  isConditionFailure,
  conditionally,
  fromItem,
  toItem,
  type Item,
  type KeyRow,
  pad,
} from './dynamo-items';
import {
  isJobRecord,
  type JobRecord,
  type JobRef,
  type JobStatus,
  type JobStore,
  type Page,
  type PurgeQueue,
  type PurgeTask,
} from '../domain/ports';
import { randomBytes } from 'node:crypto';

/** Job records stay this long after creation at most (then DynamoDB's TTL removes them). */
const JOB_RECORD_DAYS = 30;

/**
 * A job's item: the record as JSON text, with the attributes conditions and the index read
 * beside it. The count of pending restores is its own attribute, counted down in place.
 */
interface JobItem extends KeyRow {
  job: string;
  status: JobStatus;
  pendingRestores?: number;
  [K.listKey]?: string;
  [K.listOrderKey]?: string;
  [K.ttlAttribute]: number;
}

interface PurgeItem extends KeyRow {
  [K.listOrderKey]: string;
  /** JSON text of the PurgeTask. */
  task: string;
}

const jobRow = (accountId: string, vaultName: string, jobId: string): KeyRow => ({
  [K.partitionKey]: `J#${accountId}#${vaultName}`,
  [K.sortKey]: jobId,
});
const jobKey = (accountId: string, vaultName: string, jobId: string): Item => toItem(jobRow(accountId, vaultName, jobId));
const purgeKey = (handle: string): Item => toItem({ [K.partitionKey]: `Q#${handle}`, [K.sortKey]: '-' } satisfies KeyRow);
const NOTIFY_PARTITION = 'JOBNOTIFY';
const expiresAt = (job: JobRecord) => Math.floor(Date.parse(job.creationDate) / 1000) + JOB_RECORD_DAYS * 86400;
const dueKey = (readyAtMs: number, job: JobRef) => `${pad(readyAtMs, 15)}#${job.accountId}#${job.vaultName}#${job.jobId}`;

function toJob(item: Item): JobRecord {
  const row = fromItem<JobItem>(item);
  const job: unknown = JSON.parse(row.job);
  if (!isJobRecord(job)) throw new Error('A stored job item does not hold a job record');
  if (row.pendingRestores !== undefined) job.pendingRestores = row.pendingRestores;
  return job;
}

function jobItem(job: JobRecord, expires = expiresAt(job)): Item {
  const { pendingRestores, ...rest } = job;
  const row: JobItem = {
    ...jobRow(job.accountId, job.vaultName, job.jobId),
    job: JSON.stringify(rest),
    status: job.status,
    pendingRestores,
    [K.ttlAttribute]: expires,
  };
  const dueAtMs = job.readyAtMs ?? job.recheckAtMs;
  if (job.status === 'InProgress' && dueAtMs !== undefined) {
    row[K.listKey] = 'JOBDUE';
    row[K.listOrderKey] = dueKey(dueAtMs, job);
  } else if (job.status !== 'InProgress' && job.notifyTopics?.length) {
    row[K.listKey] = NOTIFY_PARTITION;
    row[K.listOrderKey] = dueKey(Date.parse(job.completionDate ?? job.creationDate), job);
  }
  return toItem(row);
}

/** Retrieval jobs and the S3 restores they wait for, in the one table. */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async createJob(job: JobRecord): Promise<void> {
    await this.db.send(new PutItemCommand({ TableName: this.table, Item: jobItem(job) }));
  }

  async getJob(accountId: string, vaultName: string, jobId: string): Promise<JobRecord | undefined> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: jobKey(accountId, vaultName, jobId), ConsistentRead: true }),
    );
    return out.Item ? toJob(out.Item) : undefined;
  }

  async listJobs(
    accountId: string,
    vaultName: string,
    filter: { status?: JobStatus; completed?: boolean },
    startAfter: string | undefined,
    limit: number,
  ): Promise<Page<JobRecord>> {
    const conditions: string[] = [];
    if (filter.status) conditions.push('#status = :status');
    if (filter.completed !== undefined) conditions.push(filter.completed ? '#status <> :open' : '#status = :open');
    const values = toItem({
      ':pk': `J#${accountId}#${vaultName}`,
      ':status': filter.status,
      ':open': filter.completed === undefined ? undefined : 'InProgress',
    });
    return queryLimited(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
        ExpressionAttributeNames: { '#pk': K.partitionKey, ...(conditions.length && { '#status': 'status' }) },
        ExpressionAttributeValues: values,
      },
      limit,
      toJob,
      startAfter === undefined ? undefined : jobKey(accountId, vaultName, startAfter),
    );
  }

  async finishJob(job: JobRecord): Promise<boolean> {
    const item = jobItem(job, Math.floor(Date.parse(job.completionDate ?? job.creationDate) / 1000) + 2 * 86400);
    return conditionally(
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: toItem({ ':open': 'InProgress' }),
        }),
      ),
    );
  }

  async listDueJobs(nowMs: number, cursor?: string): Promise<Page<JobRecord>> {
    return queryIndexPage(this.db, this.table, 'JOBDUE', pad(nowMs + 1, 15), toJob, cursor);
  }

  async listUnnotifiedJobs(finishedBeforeMs: number, cursor?: string): Promise<Page<JobRecord>> {
    return queryIndexPage(this.db, this.table, NOTIFY_PARTITION, pad(finishedBeforeMs + 1, 15), toJob, cursor);
  }

  async markNotified(job: JobRef): Promise<void> {
    await conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: jobKey(job.accountId, job.vaultName, job.jobId),
          UpdateExpression: 'REMOVE #list, #listOrder',
          ConditionExpression: '#list = :notify',
          ExpressionAttributeNames: { '#list': K.listKey, '#listOrder': K.listOrderKey },
          ExpressionAttributeValues: toItem({ ':notify': NOTIFY_PARTITION }),
        }),
      ),
    );
  }

  async scheduleRecheck(job: JobRef, atMs: number): Promise<void> {
    // Only the index entry moves: the job's own attributes (its pending count) are left alone.
    await conditionally(
      this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: jobKey(job.accountId, job.vaultName, job.jobId),
          UpdateExpression: 'SET #list = :due, #listOrder = :at',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#list': K.listKey, '#listOrder': K.listOrderKey, '#status': 'status' },
          ExpressionAttributeValues: toItem({ ':due': 'JOBDUE', ':at': dueKey(atMs, job), ':open': 'InProgress' }),
        }),
      ),
    );
  }

  async addRestoreWaits(job: JobRecord, blobKeys: string[]): Promise<void> {
    const sk = `${job.accountId}#${job.vaultName}#${job.jobId}`;
    await batchWrite(
      this.db,
      this.table,
      // A wait whose restore never reports (the sweep's re-check completed its job) expires with the job's record.
      blobKeys.map((key) => ({
        PutRequest: { Item: toItem({ [K.partitionKey]: `W#${key}`, [K.sortKey]: sk, [K.ttlAttribute]: expiresAt(job) }) },
      })),
    );
  }

  async releaseRestoreWaits(blobKey: string): Promise<JobRef[]> {
    const waits = await queryAll(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: toItem({ ':pk': `W#${blobKey}` }),
      },
      (item) => fromItem<KeyRow>(item),
    );
    const ready: JobRef[] = [];
    for (const wait of waits) {
      // Deleting the wait first makes each release count once, however often S3 reports.
      const removed = await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: toItem({ [K.partitionKey]: wait[K.partitionKey], [K.sortKey]: wait[K.sortKey] } satisfies KeyRow),
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!removed.Attributes) continue;
      const [accountId, vaultName, jobId] = wait[K.sortKey].split('#');
      try {
        const updated = await this.db.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: jobKey(accountId, vaultName, jobId),
            UpdateExpression: 'ADD pendingRestores :minusOne',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': K.partitionKey },
            ExpressionAttributeValues: toItem({ ':minusOne': -1 }),
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        if (updated.Attributes && fromItem<Pick<JobItem, 'pendingRestores'>>(updated.Attributes).pendingRestores === 0) {
          // Due at once: the sweep completes it should the caller not.
          await this.scheduleRecheck({ accountId, vaultName, jobId }, 0);
          ready.push({ accountId, vaultName, jobId });
        }
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return ready;
  }
}

/** The janitor's queue of deferred deletions, ordered by when they are due. */
export class DynamoPurgeQueue implements PurgeQueue {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async schedule(task: PurgeTask, dueMs: number): Promise<void> {
    const handle = `${pad(dueMs, 15)}#${randomBytes(8).toString('hex')}`;
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...purgeKey(handle),
          ...toItem({ [K.listKey]: 'PURGE', [K.listOrderKey]: handle, task: JSON.stringify(task) }),
        },
      }),
    );
  }

  async listDue(nowMs: number, cursor?: string): Promise<Page<{ handle: string; task: PurgeTask }>> {
    const toTask = (item: Item) => {
      const row = fromItem<PurgeItem>(item);
      return { handle: row[K.listOrderKey], task: JSON.parse(row.task) as PurgeTask };
    };
    return queryIndexPage(this.db, this.table, 'PURGE', pad(nowMs + 1, 15), toTask, cursor);
  }

  async remove(handle: string): Promise<void> {
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: purgeKey(handle) }));
  }
}

import { DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS as K } from './table-schema';
import {
  queryAll,
  queryIndexPage,
  queryLimited,
  batchWrite,
  isConditionFailure,
  conditionally,
  type Item,
  n,
  num,
  pad,
  s,
  str,
} from './dynamo-items';
import type { JobRecord, JobRef, JobStatus, JobStore, Page, PurgeQueue, PurgeTask } from '../domain/ports';
import { randomBytes } from 'node:crypto';

/** Job records stay this long after creation at most (then DynamoDB's TTL removes them). */
const JOB_RECORD_DAYS = 30;

const jobKey = (accountId: string, vaultName: string, jobId: string): Item => ({
  [K.partitionKey]: s(`J#${accountId}#${vaultName}`),
  [K.sortKey]: s(jobId),
});
const NOTIFY_PARTITION = 'JOBNOTIFY';
const expiresAt = (job: JobRecord) => Math.floor(Date.parse(job.creationDate) / 1000) + JOB_RECORD_DAYS * 86400;
const dueKey = (readyAtMs: number, job: JobRef) => s(`${pad(readyAtMs, 15)}#${job.accountId}#${job.vaultName}#${job.jobId}`);

function toJob(item: Item): JobRecord {
  const job = JSON.parse(str(item, 'job') as string) as JobRecord;
  const pending = num(item, 'pendingRestores');
  if (pending !== undefined) job.pendingRestores = pending;
  return job;
}

function jobItem(job: JobRecord): Item {
  const { pendingRestores, ...rest } = job;
  const item: Item = {
    ...jobKey(job.accountId, job.vaultName, job.jobId),
    job: s(JSON.stringify(rest)),
    status: s(job.status),
    [K.ttlAttribute]: n(expiresAt(job)),
  };
  if (pendingRestores !== undefined) item.pendingRestores = n(pendingRestores);
  const dueAtMs = job.readyAtMs ?? job.recheckAtMs;
  if (job.status === 'InProgress' && dueAtMs !== undefined) {
    item[K.listKey] = s('JOBDUE');
    item[K.listOrderKey] = dueKey(dueAtMs, job);
  } else if (job.status !== 'InProgress' && job.notifyTopics?.length) {
    item[K.listKey] = s(NOTIFY_PARTITION);
    item[K.listOrderKey] = dueKey(Date.parse(job.completionDate ?? job.creationDate), job);
  }
  return item;
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
    const values: Item = { ':pk': s(`J#${accountId}#${vaultName}`) };
    if (filter.status) {
      conditions.push('#status = :status');
      values[':status'] = s(filter.status);
    }
    if (filter.completed !== undefined) {
      conditions.push(filter.completed ? '#status <> :open' : '#status = :open');
      values[':open'] = s('InProgress');
    }
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
    const item = jobItem(job);
    item[K.ttlAttribute] = n(Math.floor(Date.parse(job.completionDate ?? job.creationDate) / 1000) + 2 * 86400);
    return conditionally(
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': s('InProgress') },
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
          ExpressionAttributeValues: { ':notify': s(NOTIFY_PARTITION) },
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
          ExpressionAttributeValues: { ':due': s('JOBDUE'), ':at': dueKey(atMs, job), ':open': s('InProgress') },
        }),
      ),
    );
  }

  async addRestoreWaits(job: JobRecord, blobKeys: string[]): Promise<void> {
    const sk = s(`${job.accountId}#${job.vaultName}#${job.jobId}`);
    await batchWrite(
      this.db,
      this.table,
      // A wait whose restore never reports (the sweep's re-check completed its job) expires with the job's record.
      blobKeys.map((key) => ({
        PutRequest: { Item: { [K.partitionKey]: s(`W#${key}`), [K.sortKey]: sk, [K.ttlAttribute]: n(expiresAt(job)) } },
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
        ExpressionAttributeValues: { ':pk': s(`W#${blobKey}`) },
      },
      (item) => item,
    );
    const ready: JobRef[] = [];
    for (const wait of waits) {
      // Deleting the wait first makes each release count once, however often S3 reports.
      const removed = await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { [K.partitionKey]: wait[K.partitionKey], [K.sortKey]: wait[K.sortKey] },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!removed.Attributes) continue;
      const [accountId, vaultName, jobId] = (str(wait, K.sortKey) as string).split('#');
      try {
        const updated = await this.db.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: jobKey(accountId, vaultName, jobId),
            UpdateExpression: 'ADD pendingRestores :minusOne',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': K.partitionKey },
            ExpressionAttributeValues: { ':minusOne': n(-1) },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        if (num(updated.Attributes ?? {}, 'pendingRestores') === 0) {
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
          [K.partitionKey]: s(`Q#${handle}`),
          [K.sortKey]: s('-'),
          [K.listKey]: s('PURGE'),
          [K.listOrderKey]: s(handle),
          task: s(JSON.stringify(task)),
        },
      }),
    );
  }

  async listDue(nowMs: number, cursor?: string): Promise<Page<{ handle: string; task: PurgeTask }>> {
    const toTask = (item: Item) => ({
      handle: str(item, K.listOrderKey) as string,
      task: JSON.parse(str(item, 'task') as string) as PurgeTask,
    });
    return queryIndexPage(this.db, this.table, 'PURGE', pad(nowMs + 1, 15), toTask, cursor);
  }

  async remove(handle: string): Promise<void> {
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: { [K.partitionKey]: s(`Q#${handle}`), [K.sortKey]: s('-') } }));
  }
}

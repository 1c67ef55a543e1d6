import type { JobRecord, JobRef, JobStatus, JobStore, Page } from '../domain/ports';
import { cursorOf, entriesUnder, keyOf, pad, take, type LmdbEnv } from './lmdb-env';

export interface LmdbJobOptions {
  /** Jobs per listDueJobs and listUnnotifiedJobs page. */
  duePageSize?: number;
}

/** A job as stored: the record, a re-check time set after creation, and whether its notifications went out. */
interface StoredJob {
  job: JobRecord;
  recheckAtMs?: number;
  notified?: boolean;
}

const jobKey = (ref: JobRef) => [ref.accountId, ref.vaultName, ref.jobId];
const refOf = (job: JobRef): JobRef => ({ accountId: job.accountId, vaultName: job.vaultName, jobId: job.jobId });

/** When an InProgress job is due: the delay's end; for restore timing 0 once nothing is pending, else the re-check time. */
function dueAt({ job, recheckAtMs }: StoredJob): number | undefined {
  if (job.status !== 'InProgress') return undefined;
  if (job.readyAtMs !== undefined) return job.readyAtMs;
  if (job.pendingRestores === 0) return 0;
  return recheckAtMs ?? job.recheckAtMs;
}

/** When a finished job with topics to notify finished, until it is marked notified. */
function unnotifiedSince({ job, notified }: StoredJob): number | undefined {
  if (job.status === 'InProgress' || !job.notifyTopics?.length || notified) return undefined;
  return Date.parse(job.completionDate ?? job.creationDate);
}

/** Retrieval jobs, with indexes of the due and the unnotified ones, and the restores they wait for, in LMDB. */
export class LmdbJobStore implements JobStore {
  private readonly jobs;
  private readonly due;
  private readonly unnotified;
  /** Key: blob key, then the waiting job's key. */
  private readonly waits;
  private readonly pageSize: number;

  constructor(
    private readonly env: LmdbEnv,
    options: LmdbJobOptions = {},
  ) {
    this.jobs = env.db<StoredJob>('jobs');
    this.due = env.db<JobRef>('jobs-due');
    this.unnotified = env.db<JobRef>('jobs-unnotified');
    this.waits = env.db<JobRef>('restore-waits');
    this.pageSize = options.duePageSize ?? 100;
  }

  /** Writes a job and moves its index entries (inside a write transaction). */
  private save(next: StoredJob, previous: StoredJob | undefined): void {
    const ref = refOf(next.job);
    const indexes = [
      { db: this.due, at: dueAt },
      { db: this.unnotified, at: unnotifiedSince },
    ];
    for (const { db, at } of indexes) {
      const before = previous && at(previous);
      if (before !== undefined) db.removeSync([pad(before), ...jobKey(ref)]);
      const after = at(next);
      if (after !== undefined) db.putSync([pad(after), ...jobKey(ref)], ref);
    }
    this.jobs.putSync(jobKey(ref), next);
  }

  private update(ref: JobRef, change: (stored: StoredJob) => StoredJob | undefined): Promise<boolean> {
    return this.env.write(() => {
      const current = this.jobs.get(jobKey(ref));
      const next = current && change(structuredClone(current));
      if (!next) return false;
      this.save(next, current);
      return true;
    });
  }

  async createJob(job: JobRecord): Promise<void> {
    await this.env.write(() => this.save({ job }, this.jobs.get(jobKey(job))));
  }

  async getJob(accountId: string, vaultName: string, jobId: string): Promise<JobRecord | undefined> {
    return this.jobs.get([accountId, vaultName, jobId])?.job;
  }

  async listJobs(
    accountId: string,
    vaultName: string,
    filter: { status?: JobStatus; completed?: boolean },
    startAfter: string | undefined,
    limit: number,
  ): Promise<Page<JobRecord>> {
    const after = startAfter === undefined ? undefined : [accountId, vaultName, startAfter];
    const matching = function* (entries: Iterable<{ value: StoredJob }>) {
      for (const { value } of entries) {
        if (filter.status !== undefined && value.job.status !== filter.status) continue;
        if (filter.completed !== undefined && filter.completed !== (value.job.status !== 'InProgress')) continue;
        yield value.job;
      }
    };
    const { items, more } = take(matching(entriesUnder(this.jobs, [accountId, vaultName], after)), limit);
    return { items, cursor: more ? items[items.length - 1]?.jobId : undefined };
  }

  finishJob(job: JobRecord): Promise<boolean> {
    return this.update(job, (stored) => (stored.job.status === 'InProgress' ? { ...stored, job } : undefined));
  }

  async listDueJobs(nowMs: number, cursor?: string): Promise<Page<JobRecord>> {
    return this.indexPage(this.due, nowMs, cursor);
  }

  async listUnnotifiedJobs(finishedBeforeMs: number, cursor?: string): Promise<Page<JobRecord>> {
    return this.indexPage(this.unnotified, finishedBeforeMs, cursor);
  }

  /** A page of an index's jobs whose time is at or before `untilMs`, after `cursor`. */
  private indexPage(index: LmdbJobStore['due'], untilMs: number, cursor: string | undefined): Page<JobRecord> {
    const until = function* (entries: Iterable<{ key: string[]; value: JobRef }>) {
      for (const entry of entries) {
        if (Number(entry.key[0]) > untilMs) return;
        yield entry;
      }
    };
    const { items, more } = take(until(entriesUnder(index, [], keyOf(cursor))), this.pageSize);
    const jobs = items.map(({ value }) => this.jobs.get(jobKey(value))?.job).filter((job): job is JobRecord => job !== undefined);
    const last = items[items.length - 1];
    return { items: jobs, cursor: more && last ? cursorOf(last.key) : undefined };
  }

  async markNotified(job: JobRef): Promise<void> {
    await this.update(job, (stored) => (stored.job.notifyTopics?.length ? { ...stored, notified: true } : undefined));
  }

  async scheduleRecheck(job: JobRef, atMs: number): Promise<void> {
    await this.update(job, (stored) => (stored.job.status === 'InProgress' ? { ...stored, recheckAtMs: atMs } : undefined));
  }

  async addRestoreWaits(job: JobRecord, blobKeys: string[]): Promise<void> {
    const ref = refOf(job);
    await this.env.write(() => {
      for (const blobKey of blobKeys) this.waits.putSync([blobKey, ...jobKey(ref)], ref);
    });
  }

  releaseRestoreWaits(blobKey: string): Promise<JobRef[]> {
    return this.env.write(() => {
      const ready: JobRef[] = [];
      for (const { key, value: ref } of [...entriesUnder(this.waits, [blobKey])]) {
        this.waits.removeSync(key);
        const current = this.jobs.get(jobKey(ref));
        if (!current) continue;
        const next = structuredClone(current);
        // Like DynamoDB's ADD, a missing count counts from 0.
        next.job.pendingRestores = (next.job.pendingRestores ?? 0) - 1;
        this.save(next, current);
        if (next.job.pendingRestores === 0) ready.push(ref);
      }
      return ready;
    });
  }
}

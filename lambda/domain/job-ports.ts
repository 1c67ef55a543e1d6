// Retrieval jobs as the domain records them, and the store that keeps them.

import type { ArchiveLayout, Page } from './ports';

export type Tier = 'Expedited' | 'Standard' | 'Bulk';
export type JobStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface InventoryRetrieval {
  format: 'JSON' | 'CSV';
  startDate?: string;
  endDate?: string;
  limit?: number;
  marker?: string;
  /** Set at completion: where the next job should start, when Limit cut the output short. */
  nextMarker?: string;
}

/** What a retrieval job of either kind records. */
interface JobBase {
  accountId: string;
  vaultName: string;
  jobId: string;
  description: string;
  snsTopic?: string;
  tier: Tier;
  creationDate: string;
  status: JobStatus;
  statusMessage?: string;
  completionDate?: string;
  /** Delay timing: when the job becomes ready. */
  readyAtMs?: number;
  /** Restore timing: how many S3 objects are still being restored. */
  pendingRestores?: number;
  /**
   * Restore timing: when the sweep first asks S3 itself whether the restores are done, in
   * case their events never come. The store keeps later re-check times (scheduleRecheck).
   */
  recheckAtMs?: number;
  /**
   * A finished job's SNS topics, recorded in the same write that finishes it: until
   * markNotified, listUnnotifiedJobs offers the job to the sweep, so that a crash between
   * finishing and publishing delays the notification instead of losing it.
   */
  notifyTopics?: string[];
}

/** What an archive retrieval reads, as it was when the job started. */
export interface RetrievedArchive {
  archiveId: string;
  size: number;
  treeHash: string;
  layout: ArchiveLayout;
  creationDate: string;
  description: string;
}

export interface ArchiveRetrievalJob extends JobBase {
  action: 'ArchiveRetrieval';
  archive: RetrievedArchive;
  /** The inclusive byte range retrieved. */
  range: { start: number; end: number };
  /** The tree hash of the range, when the range is tree-hash aligned. */
  rangeTreeHash?: string;
}

export interface InventoryRetrievalJob extends JobBase {
  action: 'InventoryRetrieval';
  inventory: InventoryRetrieval;
  /** The blob holding the formatted output, and its size, once the job succeeded. */
  outputKey?: string;
  outputSize?: number;
}

export type JobRecord = ArchiveRetrievalJob | InventoryRetrievalJob;

/** A job record read back from storage: its `action` says which of the two kinds it is. */
export function isJobRecord(value: unknown): value is JobRecord {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return typeof fields.jobId === 'string' && (fields.action === 'ArchiveRetrieval' || fields.action === 'InventoryRetrieval');
}

/** Where a job is. */
export type JobRef = Pick<JobRecord, 'accountId' | 'vaultName' | 'jobId'>;

export interface JobStore {
  createJob(job: JobRecord): Promise<void>;
  getJob(accountId: string, vaultName: string, jobId: string): Promise<JobRecord | undefined>;
  /** Jobs in creation order strictly after `startAfter`, filtered, at most `limit`. */
  listJobs(
    accountId: string,
    vaultName: string,
    filter: { status?: JobStatus; completed?: boolean },
    startAfter: string | undefined,
    limit: number,
  ): Promise<Page<JobRecord>>;
  /** Moves an InProgress job to its final state; false if it was not InProgress any more. */
  finishJob(job: JobRecord): Promise<boolean>;
  /**
   * InProgress jobs due at `nowMs`: delay timing past its readyAtMs; restore timing waiting
   * for nothing, or due for a re-check.
   */
  listDueJobs(nowMs: number, cursor?: string): Promise<Page<JobRecord>>;
  /** Restore timing: lists the job again at `atMs` for another re-check, if it is still InProgress. */
  scheduleRecheck(job: JobRef, atMs: number): Promise<void>;
  /** Finished jobs with notifyTopics that are not marked notified, finished at or before `finishedBeforeMs`. */
  listUnnotifiedJobs(finishedBeforeMs: number, cursor?: string): Promise<Page<JobRecord>>;
  /** The job's notifications are published: listUnnotifiedJobs offers it no more. */
  markNotified(job: JobRef): Promise<void>;
  /** Restore timing: records that the job waits for the restore of `blobKey`. */
  addRestoreWaits(job: JobRecord, blobKeys: string[]): Promise<void>;
  /**
   * One object's restore completed: releases every job waiting for it; returns the jobs now
   * waiting for nothing, which from then on are also listed by listDueJobs (so the sweep
   * completes them if the caller can't).
   */
  releaseRestoreWaits(blobKey: string): Promise<JobRef[]>;
}

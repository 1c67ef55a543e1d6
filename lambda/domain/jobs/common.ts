import { notFound } from '../errors';
import type { ArchiveRef } from '../archive-reads';
import type { ArchiveRetrievalJob, JobRecord, Tier, VaultRecord } from '../ports';

/** Job output stays downloadable, and the job describable, this long after completion. */
export const JOB_OUTPUT_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Days S3 keeps a restored copy: the output's lifetime plus the time a job may take. */
export const RESTORE_DAYS = 2;
/** A job asks for at most this many restores at once. */
export const RESTORE_CONCURRENCY = 8;
/**
 * Restore timing: how long after it starts, and then how often, the sweep asks S3 itself
 * about a job's restores (S3 restores Expedited in minutes, the others in hours).
 */
export const RESTORE_RECHECK_MS: Record<Tier, number> = { Expedited: 15 * 60_000, Standard: 60 * 60_000, Bulk: 60 * 60_000 };
export const JOB_EVENTS = { ArchiveRetrieval: 'ArchiveRetrievalCompleted', InventoryRetrieval: 'InventoryRetrievalCompleted' } as const;

export function jobNotFound(jobId: string) {
  return notFound(`The job ID was not found: ${jobId}`);
}

/** A vault created after the job is a later vault of the same name, not the job's. */
export function isJobOfVault(job: JobRecord, vault: VaultRecord): boolean {
  return job.creationDate >= vault.creationDate;
}

/** What an archive retrieval reads of its archive. */
export function archiveOf(job: ArchiveRetrievalJob): ArchiveRef {
  return { accountId: job.accountId, vaultName: job.vaultName, ...job.archive };
}

/** The fields that finish a job as failed. */
export function failed(now: Date, message: string): Pick<JobRecord, 'status' | 'statusMessage' | 'completionDate' | 'readyAtMs'> {
  return { status: 'Failed', statusMessage: message, completionDate: now.toISOString(), readyAtMs: undefined };
}

/** The fields that finish a job as succeeded. */
export function succeeded(now: Date): Pick<JobRecord, 'status' | 'statusMessage' | 'completionDate' | 'readyAtMs'> {
  return { status: 'Succeeded', statusMessage: 'Succeeded', completionDate: now.toISOString(), readyAtMs: undefined };
}

/**
 * Glacier's "tree-hash aligned": the range's own tree hash is a node of the whole archive's
 * tree, that is it starts at a multiple of 2^n MiB and spans 2^n MiB (or up to the end).
 */
export function isTreeHashAligned(start: number, end: number, size: number): boolean {
  const MiB = 1024 * 1024;
  if (start % MiB !== 0) return false;
  for (let span = MiB; span <= 2 * Math.max(size, MiB); span *= 2) {
    if (start % span !== 0) return false;
    if (end + 1 === Math.min(start + span, size)) return true;
  }
  return false;
}

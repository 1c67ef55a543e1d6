import { MiB } from '../checksums';
import { requireVault } from '../vaults';
import { JOB_OUTPUT_LIFETIME_MS, isJobOfVault, isTreeHashAligned, jobNotFound } from './common';
import { completeJob, isReady } from './completion';
import type { Services } from '../services';
import type { JobRecord, JobStatus, VaultRecord } from '../ports';

function expired(svc: Services, job: JobRecord): boolean {
  return job.completionDate !== undefined && Date.parse(job.completionDate) + JOB_OUTPUT_LIFETIME_MS < svc.now().getTime();
}

/** A job still known in `vault`: not expired, and not one of an earlier vault of the same name. */
function known(svc: Services, vault: VaultRecord, job: JobRecord): boolean {
  return !expired(svc, job) && isJobOfVault(job, vault);
}

/**
 * Completing a job within an API request must stay quick: a job whose range tree hash may mean
 * reading more than this (an archive stored before leaf hashes were kept) is left to the sweep,
 * which has minutes.
 */
const MAX_INLINE_HASH_BYTES = 256 * MiB;

function quickToComplete(job: JobRecord): boolean {
  if (job.action !== 'ArchiveRetrieval') return true;
  const { range, archive } = job;
  const whole = range.start === 0 && range.end === archive.size - 1;
  return whole || !isTreeHashAligned(range.start, range.end, archive.size) || range.end - range.start < MAX_INLINE_HASH_BYTES;
}

/** A job as it is now: one whose time has come is completed on the way, when that is quick. */
async function settle(svc: Services, job: JobRecord): Promise<JobRecord> {
  return isReady(svc, job) && quickToComplete(job) ? completeJob(svc, job) : job;
}

export async function getJob(svc: Services, accountId: string, vaultName: string, jobId: string): Promise<JobRecord> {
  const vault = await requireVault(svc, accountId, vaultName);
  const job = await svc.jobs.getJob(accountId, vaultName, jobId);
  if (!job || !known(svc, vault, job)) throw jobNotFound(jobId);
  return settle(svc, job);
}

export interface JobFilter {
  status?: JobStatus;
  completed?: boolean;
}

export async function listJobs(
  svc: Services,
  accountId: string,
  vaultName: string,
  query: { filter: JobFilter; marker?: string; limit: number },
): Promise<{ jobs: JobRecord[]; marker?: string }> {
  const vault = await requireVault(svc, accountId, vaultName);
  // Jobs whose time has come are completed first, so that the filters see their real state.
  const due = await svc.jobs.listJobs(accountId, vaultName, { status: 'InProgress' }, undefined, 1000);
  for (const job of due.items) await settle(svc, job);

  // Expired jobs, and an earlier same-named vault's, stay stored a while: read on past them, so that
  // a marker is given only when a job that is still known follows (Glacier's Marker is null when
  // there are no more jobs).
  const jobs: JobRecord[] = [];
  let startAfter = query.marker;
  let more = true;
  while (more && jobs.length <= query.limit) {
    const page = await svc.jobs.listJobs(accountId, vaultName, query.filter, startAfter, query.limit + 1 - jobs.length);
    jobs.push(...page.items.filter((job) => known(svc, vault, job)));
    startAfter = page.items[page.items.length - 1]?.jobId;
    more = page.cursor !== undefined && startAfter !== undefined;
  }
  const listed = jobs.slice(0, query.limit);
  return { jobs: listed, marker: jobs.length > query.limit ? listed[listed.length - 1].jobId : undefined };
}

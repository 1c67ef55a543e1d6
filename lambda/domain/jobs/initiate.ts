import { invalidParameter, notFound } from '../errors';
import { MiB } from '../checksums';
import { newJobId } from '../ids';
import { validateDescription, vaultArn } from '../names';
import { belongsTo } from '../archives';
import { enforceRetrievalPolicy } from '../retrieval-policy';
import { requireVault } from '../vaults';
import { validateTopicAccount } from '../notifications';
import { RESTORE_RECHECK_MS, failed } from './common';
import { publishNotifications, setNotifyTopics } from './notifications';
import { requestRestores, restoreKeysOf } from './restores';
import type { Services } from '../services';
import type { ArchiveRecord, ArchiveRetrievalJob, InventoryRetrieval, InventoryRetrievalJob, JobRecord, Tier, VaultRecord } from '../ports';

/** InitiateJob's parameters, read from its body. */
export type JobRequest = { description: string; snsTopic?: string; tier: Tier } & (
  | { type: 'archive-retrieval'; archiveId: string; /** RetrievalByteRange as sent. */ byteRange?: string }
  | { type: 'inventory-retrieval'; inventory: InventoryRetrieval }
);

/** A RetrievalByteRange must lie within the archive, start on a MiB, and end on one or at the archive's end. */
function byteRangeWithin(raw: string, archive: ArchiveRecord): { start: number; end: number } {
  const match = /^(\d+)-(\d+)$/.exec(raw);
  const [start, end] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  const last = archive.size - 1;
  const aligned = start % MiB === 0 && ((end + 1) % MiB === 0 || end === last);
  if (!match || end < start || end > last || !aligned) {
    throw invalidParameter(
      `Invalid RetrievalByteRange: ${raw}. It must be "StartByte-EndByte" within the archive (0-${last}), start at a multiple of 1 MiB, ` +
        `and end one byte before a multiple of 1 MiB or at the archive's last byte.`,
    );
  }
  return { start, end };
}

export async function initiateJob(svc: Services, accountId: string, vaultName: string, request: JobRequest): Promise<{ jobId: string }> {
  validateDescription(request.description, 'job description');
  if (request.snsTopic !== undefined) validateTopicAccount(svc, accountId, request.snsTopic);
  const vault = await requireVault(svc, accountId, vaultName);
  const now = svc.now();
  const base = {
    accountId,
    vaultName,
    jobId: newJobId(now),
    description: request.description,
    tier: request.tier,
    creationDate: now.toISOString(),
    status: 'InProgress' as const,
    ...(request.snsTopic && { snsTopic: request.snsTopic }),
  };
  let job: JobRecord;
  let restoreKeys: string[] = [];
  if (request.type === 'archive-retrieval') {
    job = await archiveRetrieval(svc, vault, base, request.archiveId, request.byteRange);
    if (job.status === 'InProgress' && svc.retrieval.kind === 'restore') {
      restoreKeys = await restoreKeysOf(svc, job);
      job.pendingRestores = restoreKeys.length;
      job.recheckAtMs = now.getTime() + RESTORE_RECHECK_MS[job.tier];
    }
  } else {
    if (!vault.inventory) {
      throw notFound(
        `Inventory not found for vault ${vaultArn(svc.region, accountId, vaultName)}: a vault's first inventory is taken within a day of its creation.`,
      );
    }
    job = { ...base, action: 'InventoryRetrieval', inventory: request.inventory } satisfies InventoryRetrievalJob;
  }
  if (job.status === 'InProgress' && restoreKeys.length === 0) {
    job.readyAtMs = now.getTime() + (svc.retrieval.kind === 'delay' ? svc.retrieval.delaysMs[job.tier] : 0);
  }

  // The job is stored before its waits: a restore event that lands in between then finds no
  // wait (and the restore asked for next answers 'restored'), instead of spending a wait on a
  // job that is not there yet.
  if (job.status !== 'InProgress') setNotifyTopics(job, vault);
  await svc.jobs.createJob(job);
  if (restoreKeys.length > 0) await svc.jobs.addRestoreWaits(job, restoreKeys);
  if (job.status !== 'InProgress') await publishNotifications(svc, job);
  if (job.action === 'ArchiveRetrieval') await requestRestores(svc, job, restoreKeys);
  return { jobId: job.jobId };
}

/** The job for an archive as it is now: failed at once if the archive was deleted; within the retrieval policy otherwise. */
async function archiveRetrieval(
  svc: Services,
  vault: VaultRecord,
  base: Omit<ArchiveRetrievalJob, 'action' | 'archive' | 'range'>,
  archiveId: string,
  byteRange: string | undefined,
): Promise<ArchiveRetrievalJob> {
  const archive = await svc.metadata.getArchive(vault.accountId, vault.vaultName, archiveId);
  if (!archive || !belongsTo(archive, vault)) {
    throw notFound(`Archive not found for ARN: ${vaultArn(svc.region, vault.accountId, vault.vaultName)}/archives/${archiveId}`);
  }
  const job: ArchiveRetrievalJob = {
    ...base,
    action: 'ArchiveRetrieval',
    range: byteRange === undefined ? { start: 0, end: archive.size - 1 } : byteRangeWithin(byteRange, archive),
    // Glacier shows a whole-archive job's SHA256TreeHash (the archive's) from the start; a job
    // that named a range, even the whole archive, gets it only at completion.
    ...(byteRange === undefined && { rangeTreeHash: archive.treeHash }),
    archive: {
      archiveId,
      size: archive.size,
      treeHash: archive.treeHash,
      layout: archive.layout,
      creationDate: archive.creationDate,
      description: archive.description,
    },
  };
  if (archive.deletedDate) return { ...job, ...failed(svc.now(), `The archive ${archiveId} was deleted before this job was started.`) };
  await enforceRetrievalPolicy(svc, vault.accountId, job.tier, job.range.end - job.range.start + 1);
  return job;
}

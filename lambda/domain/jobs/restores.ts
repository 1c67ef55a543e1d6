import { mapConcurrently } from '../concurrency';
import { piecesOf } from '../archive-reads';
import { RESTORE_CONCURRENCY, RESTORE_DAYS, RESTORE_RECHECK_MS, archiveOf } from './common';
import { completeJob } from './completion';
import type { Services } from '../services';
import type { ArchiveRetrievalJob } from '../ports';

/** The objects an archive retrieval reads, each to be restored. */
export async function restoreKeysOf(svc: Services, job: ArchiveRetrievalJob): Promise<string[]> {
  return (await piecesOf(svc, archiveOf(job), job.range.start, job.range.end)).map((piece) => piece.key);
}

/** Asks S3 for the restores; an object already restored is released at once, as its event would. */
export async function requestRestores(svc: Services, job: ArchiveRetrievalJob, keys: string[]): Promise<void> {
  await mapConcurrently(keys, RESTORE_CONCURRENCY, async (key) => {
    if ((await svc.blobs.restore(key, job.tier, RESTORE_DAYS)) === 'restored') await restoreCompleted(svc, key);
  });
}

/**
 * The sweep's safety net for restore timing: a job whose restores S3 never reported (an event
 * lost, a RestoreObject call that failed after the job was stored, a crash between releasing a
 * wait and counting it) asks S3 itself. Restores never started are asked for again; when all
 * objects are readable the job completes, else it is looked at again later.
 */
export async function recheckRestores(svc: Services, job: ArchiveRetrievalJob): Promise<boolean> {
  const archive = await svc.metadata.getArchive(job.accountId, job.vaultName, job.archive.archiveId);
  if (archive && !archive.deletedDate) {
    const states = await mapConcurrently(await restoreKeysOf(svc, job), RESTORE_CONCURRENCY, async (key) => {
      const state = await svc.blobs.restoreStatus(key);
      if (state !== 'none') return state;
      return (await svc.blobs.restore(key, job.tier, RESTORE_DAYS)) === 'restored' ? 'restored' : 'in-progress';
    });
    if (states.some((state) => state !== 'restored')) {
      await svc.jobs.scheduleRecheck(job, svc.now().getTime() + RESTORE_RECHECK_MS[job.tier]);
      return false;
    }
  }
  // Readable, or (archive deleted) failed: completeJob decides which.
  await completeJob(svc, job);
  return true;
}

/** An S3 object's restore completed: jobs that were waiting only for it complete now. */
export async function restoreCompleted(svc: Services, blobKey: string): Promise<number> {
  const ready = await svc.jobs.releaseRestoreWaits(blobKey);
  for (const ref of ready) {
    const job = await svc.jobs.getJob(ref.accountId, ref.vaultName, ref.jobId);
    if (job?.status === 'InProgress') await completeJob(svc, job);
  }
  return ready.length;
}

import { putBytes } from '../blobs';
import { failpoint } from '../failpoints';
import { randomSuffix } from '../ids';
import { formatInventory } from '../inventory-output';
import { vaultArn } from '../names';
import { rangeTreeHash } from '../archive-reads';
import { JOB_OUTPUT_LIFETIME_MS, archiveOf, failed, isJobOfVault, isTreeHashAligned, succeeded } from './common';
import { publishNotifications, setNotifyTopics } from './notifications';
import type { Services } from '../services';
import type { ArchiveRetrievalJob, InventoryRetrievalJob, JobRecord, VaultRecord } from '../ports';

export function isReady(svc: Services, job: JobRecord): boolean {
  if (job.status !== 'InProgress') return false;
  if (job.readyAtMs !== undefined) return job.readyAtMs <= svc.now().getTime();
  return job.pendingRestores === 0;
}

/** Does the job's work: checks the archive is still there, prepares the output, and notifies. */
export async function completeJob(svc: Services, job: JobRecord): Promise<JobRecord> {
  const now = svc.now();
  let done: JobRecord;
  const named = await svc.metadata.getVault(job.accountId, job.vaultName);
  const vault = named && isJobOfVault(job, named) ? named : undefined;
  if (!vault) done = { ...job, ...failed(now, 'The vault was deleted before the job completed.') };
  else if (job.action === 'ArchiveRetrieval') done = await completeArchiveRetrieval(svc, job, now);
  else done = await prepareInventoryOutput(svc, job, vault, now);
  setNotifyTopics(done, vault);
  if (!(await svc.jobs.finishJob(done))) {
    if (done.action === 'InventoryRetrieval' && done.outputKey) await svc.blobs.delete(done.outputKey);
    return (await svc.jobs.getJob(job.accountId, job.vaultName, job.jobId)) ?? done;
  }
  failpoint('job:after-finish');
  await publishNotifications(svc, done);
  return done;
}

/** The range's tree hash, when tree-hash aligned, comes from the leaves kept at upload: no byte of the archive is read. */
async function completeArchiveRetrieval(svc: Services, job: ArchiveRetrievalJob, now: Date): Promise<ArchiveRetrievalJob> {
  const archive = await svc.metadata.getArchive(job.accountId, job.vaultName, job.archive.archiveId);
  if (!archive || archive.deletedDate)
    return { ...job, ...failed(now, `The archive ${job.archive.archiveId} was deleted before the job completed.`) };
  const done: ArchiveRetrievalJob = { ...job, ...succeeded(now) };
  const { start, end } = job.range;
  if (isTreeHashAligned(start, end, job.archive.size)) done.rangeTreeHash = await rangeTreeHash(svc, archiveOf(job), start, end);
  return done;
}

async function prepareInventoryOutput(
  svc: Services,
  job: InventoryRetrievalJob,
  vault: VaultRecord,
  now: Date,
): Promise<InventoryRetrievalJob> {
  const snapshot = vault.inventory;
  if (!snapshot) return { ...job, ...failed(now, 'The vault has no inventory.') };
  const retrieval = job.inventory;
  const output = await formatInventory(
    { vaultArn: vaultArn(svc.region, job.accountId, job.vaultName), inventoryDate: snapshot.date, retrieval },
    async function* () {
      for (let chunk = 0; chunk < snapshot.chunks; chunk += 1) {
        const entries = await svc.metadata.getInventoryChunk(job.accountId, job.vaultName, snapshot.id, chunk);
        if (!entries) throw new Error(`Chunk ${chunk} of inventory ${snapshot.id} is missing`);
        yield entries;
      }
    },
  );
  // A key of its own for each attempt: a completion that loses the race to another never
  // overwrites the output that the winner's job already serves.
  const outputKey = `${job.accountId}/jobs/${job.jobId}/${randomSuffix()}`;
  // Queued before the bytes go in: output that a crash keeps from being recorded is removed too.
  await svc.purges.schedule({ kind: 'blob', blobKey: outputKey }, now.getTime() + JOB_OUTPUT_LIFETIME_MS + 60_000);
  await putBytes(svc.blobs, outputKey, output.body, { hot: true });
  failpoint('job:after-output');
  return {
    ...job,
    ...succeeded(now),
    outputKey,
    outputSize: output.body.length,
    inventory: { ...retrieval, ...(output.nextMarker && { nextMarker: output.nextMarker }) },
  };
}

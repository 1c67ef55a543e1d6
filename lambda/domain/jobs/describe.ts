import { vaultArn } from '../names';
import type { Services } from '../services';
import type { JobRecord } from '../ports';

/** Glacier's GlacierJobDescription: what DescribeJob, ListJobs and notifications say of a job. */
export function describeJob(svc: Services, job: JobRecord): Record<string, unknown> {
  const description: Record<string, unknown> = {
    JobId: job.jobId,
    JobDescription: job.description || null,
    Action: job.action,
    VaultARN: vaultArn(svc.region, job.accountId, job.vaultName),
    CreationDate: job.creationDate,
    Completed: job.status !== 'InProgress',
    StatusCode: job.status,
    StatusMessage: job.statusMessage ?? null,
    CompletionDate: job.completionDate ?? null,
    SNSTopic: job.snsTopic ?? null,
  };
  if (job.action === 'ArchiveRetrieval') {
    Object.assign(description, {
      ArchiveId: job.archive.archiveId,
      ArchiveSizeInBytes: job.archive.size,
      ArchiveSHA256TreeHash: job.archive.treeHash,
      RetrievalByteRange: `${job.range.start}-${job.range.end}`,
      Tier: job.tier,
      SHA256TreeHash: job.rangeTreeHash ?? null,
    });
  } else {
    description.InventorySizeInBytes = job.outputSize ?? null;
    description.InventoryRetrievalParameters = {
      Format: job.inventory.format,
      StartDate: job.inventory.startDate ?? null,
      EndDate: job.inventory.endDate ?? null,
      Limit: job.inventory.limit === undefined ? null : String(job.inventory.limit),
      Marker: job.inventory.nextMarker ?? null,
    };
  }
  return description;
}

import type { Readable } from 'node:stream';
import { invalidParameter } from '../errors';
import { MiB } from '../checksums';
import { archiveStream, checkedLength, rangeTreeHash } from '../archive-reads';
import { archiveOf } from './common';
import { getJob } from './lookup';
import type { Services } from '../services';
import type { ArchiveRetrievalJob, InventoryRetrievalJob } from '../ports';

/** A job's output, or the part of it asked for, as a stream whose length is known up front. */
export interface JobOutput {
  body: Readable;
  /** The inclusive byte range of the output that `body` carries. */
  range: { start: number; end: number };
  /** The output's whole size. */
  total: number;
  kind: 'archive' | 'JSON' | 'CSV';
  /** The tree hash of what `body` carries, when it is MiB-aligned within the archive. */
  treeHash?: string;
  archiveDescription?: string;
}

/** Which bytes of an output of `total` bytes are asked for (a Range header, resolved); all of them when absent. */
export type RangeOf = (total: number) => { start: number; end: number };

export async function getJobOutput(
  svc: Services,
  accountId: string,
  vaultName: string,
  jobId: string,
  rangeOf?: RangeOf,
): Promise<JobOutput> {
  const job = await getJob(svc, accountId, vaultName, jobId);
  if (job.status !== 'Succeeded') throw invalidParameter(`The job is not currently available for download: ${jobId}`);
  return job.action === 'ArchiveRetrieval' ? archiveOutput(svc, job, rangeOf) : inventoryOutput(svc, job, rangeOf);
}

function requested(total: number, rangeOf: RangeOf | undefined, svc: Services): { start: number; end: number } {
  const range = rangeOf ? rangeOf(total) : { start: 0, end: total - 1 };
  const length = range.end - range.start + 1;
  if (length > svc.maxBodyBytes) {
    throw invalidParameter(
      `The requested output is ${length} bytes; this endpoint returns at most ${svc.maxBodyBytes} bytes per request. ` +
        'Download it in parts with the Range header (for example bytes=0-4194303).',
    );
  }
  return range;
}

async function archiveOutput(svc: Services, job: ArchiveRetrievalJob, rangeOf: RangeOf | undefined): Promise<JobOutput> {
  const total = job.range.end - job.range.start + 1;
  const range = requested(total, rangeOf, svc);
  const start = job.range.start + range.start;
  const end = job.range.start + range.end;
  const output: JobOutput = { body: await archiveStream(svc, archiveOf(job), start, end), range, total, kind: 'archive' };
  // Glacier sends the checksum for a range that starts on a MiB and ends on one or at the archive's end.
  if (start % MiB === 0 && ((end + 1) % MiB === 0 || end === job.archive.size - 1)) {
    const whole = start === job.range.start && end === job.range.end;
    output.treeHash = whole && job.rangeTreeHash ? job.rangeTreeHash : await rangeTreeHash(svc, archiveOf(job), start, end);
  }
  if (job.archive.description) output.archiveDescription = job.archive.description;
  return output;
}

async function inventoryOutput(svc: Services, job: InventoryRetrievalJob, rangeOf: RangeOf | undefined): Promise<JobOutput> {
  if (job.outputKey === undefined || job.outputSize === undefined) throw new Error(`Job ${job.jobId} succeeded without its output`);
  const range = requested(job.outputSize, rangeOf, svc);
  const body = checkedLength(await svc.blobs.get(job.outputKey, range), range.end - range.start + 1);
  return { body, range, total: job.outputSize, kind: job.inventory.format };
}

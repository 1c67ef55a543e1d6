import { DescribeJobCommand, GetJobOutputCommand, type DescribeJobCommandOutput, type GlacierClient } from '@aws-sdk/client-glacier';
import { MiB } from './measure';

/** Ranges of job output are read in this size: within GetJobOutput's per-request limit. */
export const RANGE_BYTES = 4 * MiB;
const POLL_MS = 50;
const JOB_TIMEOUT_MS = 120_000;

/** Polls DescribeJob until the job has completed; throws unless it succeeded. */
export async function waitForJob(client: GlacierClient, vaultName: string, jobId: string): Promise<DescribeJobCommandOutput> {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const job = await client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }));
    if (job.Completed) {
      if (job.StatusCode !== 'Succeeded') throw new Error(`Job ${jobId} ended ${job.StatusCode}: ${job.StatusMessage}`);
      return job;
    }
    if (Date.now() > deadline) throw new Error(`Job ${jobId} did not complete within ${JOB_TIMEOUT_MS / 1000} s`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/** One `RANGE_BYTES` range of a job's output: its bytes and the tree hash the server sent, if any. */
export async function outputRange(client: GlacierClient, vaultName: string, jobId: string, index: number, total: number) {
  const start = index * RANGE_BYTES;
  const end = Math.min(start + RANGE_BYTES, total) - 1;
  const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId, range: `bytes=${start}-${end}` }));
  if (!out.body) throw new Error(`GetJobOutput of bytes ${start}-${end} returned no body`);
  const bytes = await out.body.transformToByteArray();
  if (bytes.length !== end - start + 1) throw new Error(`GetJobOutput of bytes ${start}-${end} returned ${bytes.length} bytes`);
  return { start, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), checksum: out.checksum };
}

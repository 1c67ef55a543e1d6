import { performance } from 'node:perf_hooks';
import { InitiateJobCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { treeHash } from '../lambda/domain/checksums';
import { outputRange, RANGE_BYTES, waitForJob } from './jobs';
import { MiB, measured, percentile, round, runPool, transferFigures } from './measure';
import type { ServerProcess } from './server-process';

const RANGE_CONCURRENCY = 4;

/** An archive whose part `i` holds `bodies[i % bodies.length]`, parts being `RANGE_BYTES` each. */
export interface PartsArchive {
  vaultName: string;
  archiveId: string;
  treeHash: string;
  parts: number;
  bodies: Buffer[];
}

/**
 * Archive retrieval: a job for the whole archive, then GetJobOutput of every part-sized
 * range. Each range is one part, so its tree hash is the part body's, hashed here once per
 * body rather than once per range; the bytes are compared with the body as well.
 */
export async function retrieval(client: GlacierClient, server: ServerProcess, archive: PartsArchive) {
  if (archive.bodies.some((body) => body.length !== RANGE_BYTES)) throw new Error('The archive must be made of parts of the range size');
  const bodyTreeHashes = archive.bodies.map((body) => treeHash(body).toString('hex'));
  const { vaultName, archiveId, bodies } = archive;

  const jobStarted = performance.now();
  const { jobId } = await client.send(
    new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }),
  );
  if (!jobId) throw new Error('InitiateJob returned no job ID');
  const job = await waitForJob(client, vaultName, jobId);
  const jobMs = performance.now() - jobStarted;
  if (job.SHA256TreeHash !== archive.treeHash)
    throw new Error(`The job reports tree hash ${job.SHA256TreeHash}, expected ${archive.treeHash}`);

  const total = archive.parts * RANGE_BYTES;
  const download = (index: number) => outputRange(client, vaultName, jobId, index, total);
  const verify = async (index: number) => {
    const range = await download(index);
    const body = bodies[index % bodies.length];
    if (!range.bytes.equals(body)) throw new Error(`Bytes ${range.start}+ of the retrieved archive differ from what was uploaded`);
    const expected = bodyTreeHashes[index % bodies.length];
    if (range.checksum !== expected) throw new Error(`Range at ${range.start} has checksum ${range.checksum}, expected ${expected}`);
  };
  // Warm-up: the server's GetJobOutput path and the client's connections, before the clock starts.
  await runPool(RANGE_CONCURRENCY, RANGE_CONCURRENCY, verify);
  const result = await measured(server, () => runPool(archive.parts, RANGE_CONCURRENCY, verify));
  const mib = total / MiB;
  return {
    archiveMiB: mib,
    rangeMiB: RANGE_BYTES / MiB,
    concurrency: RANGE_CONCURRENCY,
    jobCompletedMs: round(jobMs),
    ...transferFigures(result, mib),
    rangeP50Ms: round(percentile(result.latenciesMs, 50)),
    rangeP95Ms: round(percentile(result.latenciesMs, 95)),
  };
}

import { performance } from 'node:perf_hooks';
import { InitiateJobCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { hashesOf, streamedGet, streamedSignedRequest, syntheticBody } from '../test/support/streamed-request';
import { sampleRss } from '../test/support/process-memory';
import { waitForJob } from './jobs';
import { MiB, measured, round, transferFigures } from './measure';
import type { ServerProcess } from './server-process';

/** Runs `work` while sampling the server's resident memory every 50 ms; adds the peak in MiB. */
async function withPeakRss<T>(pid: number, work: () => Promise<T>): Promise<T & { peakRssMiB: number }> {
  const peak = sampleRss(pid);
  try {
    const result = await work();
    return { ...result, peakRssMiB: round(peak() / MiB) };
  } catch (error) {
    peak();
    throw error;
  }
}

/**
 * One UploadArchive of `bytes` in a single request (hashes computed before the clock starts,
 * the body made on the fly), then one GetJobOutput of the whole archive without Range.
 */
export async function singleLarge(client: GlacierClient, server: ServerProcess, vaultName: string, bytes: number, seed: number) {
  const body = syntheticBody(bytes, seed);
  const expected = await hashesOf(body.stream());
  const upload = await withPeakRss(server.pid, () =>
    measured(server, async () => {
      const started = performance.now();
      const response = await streamedSignedRequest(server.url, {
        method: 'POST',
        path: `/-/vaults/${vaultName}/archives`,
        headers: { 'x-amz-sha256-tree-hash': expected.treeHash },
        body: body.stream(),
        size: bytes,
        sha256: expected.sha256,
      });
      response.resume();
      await new Promise((resolve) => response.on('end', resolve));
      if (response.statusCode !== 201) throw new Error(`UploadArchive of ${bytes} bytes answered ${response.statusCode}`);
      if (response.headers['x-amz-sha256-tree-hash'] !== expected.treeHash) throw new Error('UploadArchive answered another tree hash');
      return { seconds: (performance.now() - started) / 1000, latenciesMs: [], archiveId: String(response.headers['x-amz-archive-id']) };
    }),
  );
  const { jobId } = await client.send(
    new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: upload.archiveId } }),
  );
  await waitForJob(client, vaultName, jobId as string);
  const download = await withPeakRss(server.pid, () =>
    measured(server, async () => {
      const started = performance.now();
      const response = await streamedGet(server.url, `/-/vaults/${vaultName}/jobs/${jobId}/output`);
      if (response.statusCode !== 200) throw new Error(`GetJobOutput answered ${response.statusCode}`);
      const got = await hashesOf(response as AsyncIterable<Buffer>);
      if (got.treeHash !== expected.treeHash || got.size !== bytes) throw new Error('The whole job output differs from the upload');
      if (response.headers['x-amz-sha256-tree-hash'] !== expected.treeHash) throw new Error('GetJobOutput sent another tree hash');
      return { seconds: (performance.now() - started) / 1000, latenciesMs: [] };
    }),
  );
  const mib = bytes / MiB;
  return {
    mib: round(mib),
    upload: { ...transferFigures(upload, mib), peakRssMiB: upload.peakRssMiB },
    download: { ...transferFigures(download, mib), peakRssMiB: download.peakRssMiB },
  };
}

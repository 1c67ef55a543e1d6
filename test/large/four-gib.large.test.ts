// Glacier's largest single request, through the streamed data path: a 4 GiB UploadArchive and
// the whole 4 GiB job output in one GET, with the server's resident memory sampled throughout.
// Run by `npm run test:large` (in CI), not by `npm test`: it moves 8 GiB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVaultCommand, DescribeJobCommand, InitiateJobCommand } from '@aws-sdk/client-glacier';
import { freePort, spawnServer, waitUntilServing, type ServerProcess } from '../support/server-process';
import { drain, hashesOf, streamedGet, streamedSignedRequest, syntheticBody } from '../support/streamed-request';
import { rssBytes, sampleRss } from '../support/process-memory';

const GiB = 1024 * 1024 * 1024;
const SIZE = 4 * GiB;
const RSS_LIMIT_BYTES = 256 * 1024 * 1024;

const MB = (bytes: number) => Math.round(bytes / 1024 / 1024);

describe('4 GiB through the streamed data path', () => {
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coldvault-4gib-'));
    server = spawnServer({
      PORT: String(await freePort()),
      COLDVAULT_HOST: '127.0.0.1',
      COLDVAULT_DATA_DIR: dataDir,
      COLDVAULT_JOB_DELAY_SECONDS: '0',
    });
    await waitUntilServing(server);
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a 4 GiB UploadArchive and its whole download keep the server under 256 MB of RSS', async () => {
    const pid = server.child.pid as number;
    const client = server.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'big' }));
    const body = syntheticBody(SIZE);
    const expected = await hashesOf(body.stream());
    const idleRss = rssBytes(pid);

    const stopUploadSampling = sampleRss(pid);
    const uploaded = await streamedSignedRequest(server.url, {
      method: 'POST',
      path: '/-/vaults/big/archives',
      headers: { 'x-amz-sha256-tree-hash': expected.treeHash, 'x-amz-archive-description': 'four GiB' },
      body: body.stream(),
      size: SIZE,
      sha256: expected.sha256,
    });
    const uploadAnswer = await drain(uploaded);
    const uploadPeak = stopUploadSampling();
    expect({ status: uploaded.statusCode, body: uploadAnswer.toString() }).toEqual({ status: 201, body: '' });
    expect(uploaded.headers['x-amz-sha256-tree-hash']).toBe(expected.treeHash);
    const archiveId = String(uploaded.headers['x-amz-archive-id']);

    const { jobId } = await client.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'big',
        jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' },
      }),
    );
    for (let i = 0; i < 600; i += 1) {
      const job = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'big', jobId }));
      if (job.StatusCode !== 'InProgress') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const stopDownloadSampling = sampleRss(pid);
    const output = await streamedGet(server.url, `/-/vaults/big/jobs/${jobId}/output`);
    const downloaded = await hashesOf(output as AsyncIterable<Buffer>);
    const downloadPeak = stopDownloadSampling();
    expect(output.statusCode).toBe(200);
    expect(output.headers['content-length']).toBe(String(SIZE));
    expect(output.headers['x-amz-sha256-tree-hash']).toBe(expected.treeHash);
    expect(downloaded).toEqual(expected);

    console.log(
      `4 GiB: server RSS idle ${MB(idleRss)} MB, peak during upload ${MB(uploadPeak)} MB, peak during download ${MB(downloadPeak)} MB`,
    );
    expect(uploadPeak).toBeLessThan(RSS_LIMIT_BYTES);
    expect(downloadPeak).toBeLessThan(RSS_LIMIT_BYTES);
  }, 900_000);
});

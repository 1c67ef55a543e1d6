import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { startTestServer, type TestServer } from '../support/local-server';
import { oracleTreeHash } from '../support/tree-hash-oracle';

const SIZE = 1024 * MiB;
const PART = 4 * MiB;
const dir = mkdtempSync(join(tmpdir(), 'coldvault-1gib-'));
const source = join(dir, 'archive.bin');
let server: TestServer;

beforeAll(async () => {
  const fd = openSync(source, 'w');
  for (let written = 0; written < SIZE; written += 16 * MiB) writeSync(fd, randomBytes(16 * MiB));
  closeSync(fd);
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
});

afterAll(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it('a 1 GiB archive in 4 MiB parts completes with the tree hash of the source file, and comes back byte for byte in ranges', async () => {
  const glacier = server.client();
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'big' }));
  const { uploadId } = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'big', partSize: String(PART) }));

  const fd = openSync(source, 'r');
  const next = { index: 0 };
  const worker = async () => {
    for (let i = next.index++; i < SIZE / PART; i = next.index++) {
      const body = Buffer.alloc(PART);
      readSync(fd, body, 0, PART, i * PART);
      await glacier.send(
        new UploadMultipartPartCommand({
          accountId: '-',
          vaultName: 'big',
          uploadId,
          range: `bytes ${i * PART}-${(i + 1) * PART - 1}/*`,
          body,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  closeSync(fd);

  const oracle = oracleTreeHash();
  for await (const chunk of createReadStream(source, { highWaterMark: 8 * MiB })) oracle.update(chunk as Buffer);
  const expected = await oracle.hex();

  const out = await glacier.send(
    new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'big', uploadId, archiveSize: String(SIZE), checksum: expected }),
  );
  expect(out.checksum).toBe(expected);
  expect(out.archiveId).toHaveLength(138);

  const { jobId } = await glacier.send(
    new InitiateJobCommand({ accountId: '-', vaultName: 'big', jobParameters: { Type: 'archive-retrieval', ArchiveId: out.archiveId } }),
  );
  for (let job = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName: 'big', jobId })); !job.Completed;) {
    await new Promise((r) => setTimeout(r, 50));
    job = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName: 'big', jobId }));
  }
  const original = openSync(source, 'r');
  const nextRange = { index: 0 };
  const reader = async () => {
    for (let i = nextRange.index++; i < SIZE / PART; i = nextRange.index++) {
      const range = `bytes=${i * PART}-${(i + 1) * PART - 1}`;
      const got = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'big', jobId, range }));
      const bytes = Buffer.from(await (got.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      const sourceBytes = Buffer.alloc(PART);
      readSync(original, sourceBytes, 0, PART, i * PART);
      expect({ range, same: bytes.equals(sourceBytes) }).toEqual({ range, same: true });
      expect(got.checksum).toBe(treeHash(sourceBytes).toString('hex'));
    }
  };
  await Promise.all(Array.from({ length: 4 }, reader));
  closeSync(original);
}, 300_000);

import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  InitiateMultipartUploadCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { MiB } from '../../lambda/domain/checksums';
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
  server = await startTestServer();
});

afterAll(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it('a 1 GiB archive in 4 MiB parts completes with the tree hash of the source file', async () => {
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
        new UploadMultipartPartCommand({ accountId: '-', vaultName: 'big', uploadId, range: `bytes ${i * PART}-${(i + 1) * PART - 1}/*`, body }),
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
}, 300_000);

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  InitiateMultipartUploadCommand,
  ListPartsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { freePort, spawnServer, waitUntilServing, type ServerProcess } from '../support/server-process';

const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-crash-'));
const running: ServerProcess[] = [];

async function start(): Promise<ServerProcess> {
  const server = spawnServer({ PORT: String(await freePort()), COLDVAULT_DATA_DIR: dataDir, COLDVAULT_INVENTORY_INTERVAL_SECONDS: '1' });
  running.push(server);
  await waitUntilServing(server);
  return server;
}

async function kill(server: ServerProcess) {
  server.child.kill('SIGKILL');
  await server.exited;
}

/** Sends the headers and only part of the body of an upload, and leaves it hanging. */
function startPartialUpload(url: string, size: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveSent) => {
    const req = request({
      host: hostname,
      port,
      method: 'POST',
      path: '/-/vaults/crash/archives',
      headers: { 'content-length': String(size), 'x-amz-glacier-version': '2012-06-01' },
    });
    req.on('error', () => undefined);
    req.write(randomBytes(size / 2), () => resolveSent());
  });
}

async function inventoryAfter(server: ServerProcess, since: number, vaultName = 'crash') {
  const client = server.client();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const vault = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    if (vault.LastInventoryDate && Date.parse(vault.LastInventoryDate) > since) return vault;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no inventory ran');
}

afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null) await kill(server);
  rmSync(dataDir, { recursive: true, force: true });
});

it('a second server on the same data directory stops with a clear error', async () => {
  const first = await start();
  const second = spawnServer({ PORT: String(await freePort()), COLDVAULT_DATA_DIR: dataDir });
  expect(await second.exited).toBe(1);
  expect(second.output()).toMatch(/Another coldvault server \(pid \d+\) is using the data directory/);
  await kill(first);
});

it('a server killed during uploads shows no partial archive, and keeps every acknowledged one', async () => {
  let server = await start();
  const client = server.client();
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'crash' }));
  const acknowledged: { archiveId: string; size: number }[] = [];
  for (let i = 0; i < 5; i += 1) {
    const body = randomBytes(100_000 + i);
    const out = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'crash', body }));
    expect(out.checksum).toBe(treeHash(body).toString('hex'));
    acknowledged.push({ archiveId: out.archiveId as string, size: body.length });
  }

  // Uploads in flight at the kill: half-sent ones, and whole ones racing the kill.
  await startPartialUpload(server.url, 2 * 1024 * 1024);
  const racingSize = 300_000;
  const racing = Array.from({ length: 4 }, () =>
    client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'crash', body: randomBytes(racingSize) })).catch(() => undefined),
  );
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
  await kill(server);
  const raced = (await Promise.all(racing)).filter((out) => out !== undefined).length;

  const restartedAt = Date.now();
  server = await start();
  const vault = await inventoryAfter(server, restartedAt);
  const committed = (vault.NumberOfArchives as number) - acknowledged.length;
  // Every acknowledged archive is there; a racing upload is there whole or not at all.
  expect(committed).toBeGreaterThanOrEqual(raced);
  expect(committed).toBeLessThanOrEqual(racing.length);
  const acknowledgedBytes = acknowledged.reduce((sum, archive) => sum + archive.size, 0);
  expect(vault.SizeInBytes).toBe(acknowledgedBytes + committed * racingSize);

  for (const { archiveId } of acknowledged) {
    const out = await server.client().send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'crash', archiveId }));
    expect(out.$metadata.httpStatusCode).toBe(204);
  }
  await kill(server);
});

it('a multipart upload survives a SIGKILL: every acknowledged part is listed, the rest is sent, and Complete succeeds', async () => {
  let server = await start();
  await server.client().send(new CreateVaultCommand({ accountId: '-', vaultName: 'resume' }));
  const { uploadId } = await server
    .client()
    .send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'resume', partSize: String(MiB) }));
  const archive = randomBytes(24 * MiB + 1234);
  const partCount = Math.ceil(archive.length / MiB);
  const part = (i: number) => archive.subarray(i * MiB, Math.min((i + 1) * MiB, archive.length));
  const send = (client: GlacierClient, i: number) =>
    client.send(
      new UploadMultipartPartCommand({
        accountId: '-',
        vaultName: 'resume',
        uploadId,
        range: `bytes ${i * MiB}-${i * MiB + part(i).length - 1}/*`,
        body: part(i),
      }),
    );

  const acknowledged = new Set<number>();
  const queue = Array.from({ length: partCount }, (_, i) => i);
  const client = server.client();
  const workers = Array.from({ length: 16 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      try {
        await send(client, i);
        acknowledged.add(i);
      } catch {
        return;
      }
    }
  });
  while (acknowledged.size < 6) await new Promise((r) => setTimeout(r, 5));
  await kill(server);
  await Promise.all(workers);
  expect(acknowledged.size).toBeLessThan(partCount);

  server = await start();
  const listed = await server.client().send(new ListPartsCommand({ accountId: '-', vaultName: 'resume', uploadId, limit: 1000 }));
  const present = new Set((listed.Parts ?? []).map((p) => Number((p.RangeInBytes as string).split('-')[0]) / MiB));
  for (const i of acknowledged) expect(present.has(i)).toBe(true);
  for (const p of listed.Parts ?? []) {
    const i = Number((p.RangeInBytes as string).split('-')[0]) / MiB;
    expect(p.SHA256TreeHash).toBe(treeHash(part(i)).toString('hex'));
  }

  for (let i = 0; i < partCount; i += 1) if (!present.has(i)) await send(server.client(), i);
  const expected = treeHash(archive).toString('hex');
  const done = await server.client().send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName: 'resume',
      uploadId,
      archiveSize: String(archive.length),
      checksum: expected,
    }),
  );
  expect(done.checksum).toBe(expected);
  await kill(server);
});

it("a server killed during a Complete keeps the upload: after a restart the Complete succeeds with the archive's tree hash", async () => {
  const port = String(await freePort());
  const env = { PORT: port, COLDVAULT_DATA_DIR: dataDir, COLDVAULT_INVENTORY_INTERVAL_SECONDS: '1' };
  let server = spawnServer({ ...env, COLDVAULT_TEST_KILL_AT: 'complete-upload:after-record' });
  running.push(server);
  await waitUntilServing(server);
  const client = server.client();
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'complete-kill' }));
  const { uploadId } = await client.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'complete-kill', partSize: String(MiB) }),
  );
  const archive = randomBytes(5 * MiB + 77);
  for (let start = 0; start < archive.length; start += MiB) {
    const body = archive.subarray(start, start + MiB);
    await client.send(
      new UploadMultipartPartCommand({
        accountId: '-',
        vaultName: 'complete-kill',
        uploadId,
        range: `bytes ${start}-${start + body.length - 1}/*`,
        body,
      }),
    );
  }
  const expected = treeHash(archive).toString('hex');
  const complete = (c: GlacierClient) =>
    c.send(
      new CompleteMultipartUploadCommand({
        accountId: '-',
        vaultName: 'complete-kill',
        uploadId,
        archiveSize: String(archive.length),
        checksum: expected,
      }),
    );
  await expect(complete(client)).rejects.toThrow();
  expect(await server.exited).toBeNull();

  server = spawnServer(env);
  running.push(server);
  await waitUntilServing(server);
  const done = await complete(server.client());
  expect(done.checksum).toBe(expected);
  const again = await complete(server.client());
  expect(again.archiveId).toBe(done.archiveId);
  const vault = await inventoryAfter(server, Date.now(), 'complete-kill');
  expect([vault.NumberOfArchives, vault.SizeInBytes]).toEqual([1, archive.length]);
  await kill(server);
});

// The data directory and what is in it are private to the user running the server.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateVaultCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startTestServer } from '../support/local-server';

const modeOf = (path: string) => statSync(path).mode & 0o777;

it.each(['embedded', 'emulated'])('makes the data directory 0700 and every file in it 0600 (%s stores)', async (stores) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'coldvault-private-')), 'data');
  // Left readable by an older version: tightened at start.
  mkdirSync(join(dataDir, 'old'), { recursive: true, mode: 0o755 });
  writeFileSync(join(dataDir, 'old', 'notifications.jsonl'), '{}\n', { mode: 0o644 });
  chmodSync(dataDir, 0o755);
  const server = await startTestServer({ COLDVAULT_STORES: stores }, dataDir);
  try {
    const client = server.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'private' }));
    await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'private', body: Buffer.from('private bytes') }));
    client.destroy();

    expect(modeOf(dataDir)).toBe(0o700);
    const entries = readdirSync(dataDir, { recursive: true, withFileTypes: true });
    expect(entries.filter((entry) => entry.isFile()).length).toBeGreaterThan(3);
    for (const entry of entries) {
      const path = join(entry.parentPath ?? entry.path, entry.name);
      if (entry.isFile()) expect({ path, mode: modeOf(path) }).toEqual({ path, mode: 0o600 });
      if (entry.isDirectory()) expect({ path, mode: modeOf(path) }).toEqual({ path, mode: 0o700 });
    }
    // What the server tells other processes names no store they could reach.
    const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(['pid', 'stores', 'url']);
  } finally {
    await server.destroy();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});

it("refuses other local processes on the emulated stores: only this start's credential gets in", async () => {
  const server = await startTestServer({ COLDVAULT_STORES: 'emulated' });
  const clients: { destroy(): void }[] = [];
  try {
    const { dynamoEndpoint, s3Endpoint, storeCredentials, region } = server.config;
    expect(storeCredentials?.accessKeyId).toMatch(/^CV[0-9A-F]{32}$/);
    const other = { accessKeyId: 'AKIDANYOTHERPROCESS1', secretAccessKey: 'guessed' };
    const dynamo = (credentials: typeof other) => {
      const client = new DynamoDBClient({ region, endpoint: dynamoEndpoint, credentials, maxAttempts: 1 });
      clients.push(client);
      return client;
    };
    const s3 = (credentials: typeof other) => {
      const client = new S3Client({ region, endpoint: s3Endpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
      clients.push(client);
      return client;
    };
    await expect(dynamo(other).send(new ListTablesCommand({}))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    await expect(s3(other).send(new ListObjectsV2Command({ Bucket: server.config.bucketName }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const unsigned = await fetch(`${dynamoEndpoint}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect((await dynamo(storeCredentials as typeof other).send(new ListTablesCommand({}))).TableNames).toEqual([server.config.tableName]);
    await s3(storeCredentials as typeof other).send(new ListObjectsV2Command({ Bucket: server.config.bucketName }));
  } finally {
    for (const client of clients) client.destroy();
    await server.destroy();
  }
});

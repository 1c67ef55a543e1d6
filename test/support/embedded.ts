// Embedded DynamoDB (dynalite) and S3 (s3rver) servers for store adapter tests, each on a
// free port with its own temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { readLocalConfig } from '../../lambda/config';
import { ensureTable, type EmbeddedStores } from '../../lambda/local/embedded-stores';
import { createDynamoClient } from '../../lambda/wiring';

export interface EmbeddedServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<EmbeddedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-dynalite-'));
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startS3rver(bucket: string): Promise<EmbeddedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DynaliteTables {
  client: DynamoDBClient;
  /** Creates a new, empty coldvault table and returns its name. */
  freshTable(): Promise<string>;
  close(): Promise<void>;
}

/** Dynalite with a DynamoDB client on it, for store adapter tests that want a fresh table per test. */
export async function startDynaliteTables(tablePrefix: string): Promise<DynaliteTables> {
  const server = await startDynalite();
  const client = createDynamoClient(readLocalConfig({ COLDVAULT_DYNAMODB_ENDPOINT: server.endpoint }));
  let tables = 0;
  return {
    client,
    async freshTable() {
      tables += 1;
      const table = `${tablePrefix}-${tables}`;
      await ensureTable(client, table);
      return table;
    },
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/** Creates the coldvault table `tableName` in the DynamoDB of `stores`. */
export async function createTable(stores: Pick<EmbeddedStores, 'dynamoEndpoint'>, tableName: string, region = 'us-east-1'): Promise<void> {
  const db = new DynamoDBClient({ region, endpoint: stores.dynamoEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await ensureTable(db, tableName);
  } finally {
    db.destroy();
  }
}

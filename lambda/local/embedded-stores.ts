import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { TABLE_KEYS as K } from '../store/table-schema';
import { FileBlobStore } from '../store/file-blobs';
import { LMDB_DIR, openLmdb, type LmdbEnv } from '../store/lmdb-env';
import { LmdbMetadataStore } from '../store/lmdb-metadata';
import { LmdbUploadStore } from '../store/lmdb-uploads';
import { LmdbJobStore } from '../store/lmdb-jobs';
import { LmdbPurgeQueue } from '../store/lmdb-purges';
import { LmdbAccountStore } from '../store/lmdb-accounts';
import { LmdbIdentityStore } from '../store/lmdb-identities';
import type { StoreSet } from '../wiring';

/** The blobs' directory, under the data directory. */
export const BLOBS_DIR = 'blobs';

export interface OpenEmbeddedStores {
  lmdb: LmdbEnv;
  blobs: FileBlobStore;
  close(): Promise<void>;
}

/** `npm start`'s embedded stores as the services use them (local only: LMDB is a native module the Lambda bundle leaves out). */
export function embeddedStores(env: LmdbEnv, blobs: FileBlobStore): StoreSet {
  return {
    metadata: new LmdbMetadataStore(env),
    uploads: new LmdbUploadStore(env),
    jobs: new LmdbJobStore(env),
    purges: new LmdbPurgeQueue(env),
    accounts: new LmdbAccountStore(env),
    blobs,
    identities: new LmdbIdentityStore(env),
  };
}

/** The default stores of `npm start`, in this process: metadata in LMDB, blobs as files, both under dataDir. */
export async function openEmbeddedStores(dataDir: string): Promise<OpenEmbeddedStores> {
  const lmdb = openLmdb(join(dataDir, LMDB_DIR));
  try {
    const blobs = await new FileBlobStore(join(dataDir, BLOBS_DIR)).open();
    return { lmdb, blobs, close: () => lmdb.close() };
  } catch (error) {
    await lmdb.close();
    throw error;
  }
}

export type EmbeddedStore = 'dynamodb' | 's3';

export interface EmbeddedStores {
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** Stops one store and drops its open connections, as an outage would (tests use it). */
  stop(store: EmbeddedStore): Promise<void>;
  /** Starts a stopped store again on the same port and data. */
  restart(store: EmbeddedStore): Promise<void>;
  close(): Promise<void>;
}

interface Running {
  port: number;
  stop(): Promise<void>;
}

/** How long a stopping store lets requests under way finish (dynalite's own limit) before it cuts them off. */
const DRAIN_MS = 30_000;

/** s3rver's one account, whose keys it accepts. */
function s3rverAccount(): { createKeyPair(accessKeyId: string, secretAccessKey: string): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: ReturnType<typeof s3rverAccount> }).DUMMY_ACCOUNT;
}

/**
 * Lets through only requests signed with `accessKeyId` (the SDK signs every request with it;
 * no other process knows it): dynalite and s3rver take any credentials themselves.
 */
function requireAccessKey(server: Server, accessKeyId: string | undefined): void {
  if (accessKeyId === undefined) return;
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.headers.authorization ?? '').includes(`Credential=${accessKeyId}/`)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('This store serves only the coldvault server that started it.');
      return;
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
}

/**
 * Returns a switch that makes every answer from then on (those under way included) close its
 * connection, so that a client's next request can't keep a stopping server's connection open.
 */
function closingAfterAnswers(server: Server): () => void {
  const answering = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    answering.add(res);
    res.on('close', () => answering.delete(res));
  });
  return () => {
    closing = true;
    for (const res of answering) res.shouldKeepAlive = false;
  };
}

async function startDynalite(dataDir: string, port: number, accessKeyId?: string): Promise<Running> {
  const server: Server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  requireAccessKey(server, accessKeyId);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const closeAfter = closingAfterAnswers(server);
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        // dynalite closes its database when the server closes: requests under way finish first,
        // or an operation still running would throw (an uncaught "Database is closed").
        closeAfter();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      }),
  };
}

async function startS3rver(dataDir: string, bucketName: string, port: number, accessKeyId?: string): Promise<Running> {
  const s3 = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: join(dataDir, 's3'),
    configureBuckets: [{ name: bucketName }],
  });
  const address = await s3.run();
  if (accessKeyId !== undefined) {
    // s3rver knows only its own dummy key; it checks the key ID, which the guard below does too.
    s3rverAccount().createKeyPair(accessKeyId, 'unused');
    if (s3.httpServer) requireAccessKey(s3.httpServer, accessKeyId);
  }
  return {
    port: address.port,
    async stop() {
      const closed = s3.close();
      s3.httpServer?.closeAllConnections();
      await closed;
    },
  };
}

/** Emulated AWS: a DynamoDB-compatible server (dynalite) and an S3-compatible one (s3rver), persisting under dataDir. */
export async function startEmbeddedStores(
  dataDir: string,
  bucketName: string,
  options: { accessKeyId?: string } = {},
): Promise<EmbeddedStores> {
  const { accessKeyId } = options;
  const dynamo = await startDynalite(dataDir, 0, accessKeyId);
  let s3: Running;
  try {
    s3 = await startS3rver(dataDir, bucketName, 0, accessKeyId);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  const ports = { dynamodb: dynamo.port, s3: s3.port };
  const running: Partial<Record<EmbeddedStore, Running>> = { dynamodb: dynamo, s3 };
  const stop = async (store: EmbeddedStore) => {
    const server = running[store];
    delete running[store];
    await server?.stop();
  };
  return {
    dynamoEndpoint: `http://127.0.0.1:${ports.dynamodb}`,
    s3Endpoint: `http://127.0.0.1:${ports.s3}`,
    stop,
    async restart(store) {
      if (running[store]) return;
      running[store] =
        store === 'dynamodb'
          ? await startDynalite(dataDir, ports.dynamodb, accessKeyId)
          : await startS3rver(dataDir, bucketName, ports.s3, accessKeyId);
    },
    async close() {
      await stop('s3');
      await stop('dynamodb');
    },
  };
}

/** Creates the coldvault table (same keys as the deployed one) if it does not exist yet. */
export async function ensureTable(db: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await db.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: K.partitionKey, AttributeType: 'S' },
          { AttributeName: K.sortKey, AttributeType: 'S' },
          { AttributeName: K.listKey, AttributeType: 'S' },
          { AttributeName: K.listOrderKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: K.partitionKey, KeyType: 'HASH' },
          { AttributeName: K.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: K.listIndex,
            KeySchema: [
              { AttributeName: K.listKey, KeyType: 'HASH' },
              { AttributeName: K.listOrderKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const out = await db.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become active`);
}

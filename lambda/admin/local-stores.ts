// The stores of a local data directory, as the admin command opens them: the embedded stores
// beside a running server (LMDB serves several processes at once) or alone; emulated stores
// only while no server runs on the directory (it alone knows their credential).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLocalConfig, ENV, type Config, type StoreKind } from '../config';
import { isRunning, lockDataDir } from '../local/data-dir-lock';
import { embeddedStores, ensureTable, openEmbeddedStores, startEmbeddedStores } from '../local/embedded-stores';
import { DataDirError, makeDataDirPrivate } from '../local/private-data-dir';
import { SERVER_INFO_FILE } from '../local/server';
import { awsStores, createDynamoClient, type StoreSet } from '../wiring';

export class LocalStoresError extends Error {}

export interface LocalStores {
  config: Config;
  stores: StoreSet;
  close(): Promise<void>;
}

/** The stores of the server running on `dataDir`, if one runs. */
function runningServerStores(dataDir: string): StoreKind | undefined {
  const infoPath = join(dataDir, SERVER_INFO_FILE);
  if (!existsSync(infoPath)) return undefined;
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as { pid: number; stores?: StoreKind };
  return isRunning(info.pid) ? (info.stores ?? 'emulated') : undefined;
}

/** Opens `dataDir`'s stores: those of the server running on it, or else those `kind` names. */
export async function openLocalStores(dataDir: string, kind: StoreKind): Promise<LocalStores> {
  try {
    makeDataDirPrivate(dataDir);
  } catch (error) {
    throw error instanceof DataDirError ? new LocalStoresError(error.message) : error;
  }
  const base = readLocalConfig({ [ENV.dataDir]: dataDir, [ENV.stores]: kind });
  const running = runningServerStores(dataDir);
  if ((running ?? kind) === 'embedded') {
    const embedded = await openEmbeddedStores(dataDir);
    return { config: base, stores: embeddedStores(embedded.lmdb, embedded.blobs), close: () => embedded.close() };
  }
  if (running) {
    throw new LocalStoresError(
      'A server with emulated stores runs on this data directory: stop it first, or use the default embedded stores.',
    );
  }
  const unlock = lockDataDir(dataDir);
  try {
    const storeCredentials = { accessKeyId: `CV${randomBytes(16).toString('hex').toUpperCase()}`, secretAccessKey: 'unused' };
    const emulated = await startEmbeddedStores(dataDir, base.bucketName, { accessKeyId: storeCredentials.accessKeyId });
    const config: Config = { ...base, storeCredentials, dynamoEndpoint: emulated.dynamoEndpoint, s3Endpoint: emulated.s3Endpoint };
    await ensureTable(createDynamoClient(config), config.tableName);
    return {
      config,
      stores: awsStores(config),
      close: async () => {
        await emulated.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

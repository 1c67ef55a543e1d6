// Where the admin command's vault commands (import, inventory, vaults empty) act: the domain's
// services on a local data directory's stores, or on a deployed table and bucket.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DEFAULTS, readAdminEnv, readLocalConfig, STORAGE_CLASSES, type Config, type StorageClass } from '../config';
import type { Services } from '../domain/services';
import { lockDataDir } from '../local/data-dir-lock';
import { ensureTable, startEmbeddedStores } from '../local/embedded-stores';
import { NOTIFICATIONS_FILE, SERVER_INFO_FILE } from '../local/server';
import { FileNotifier } from '../store/notifiers';
import { createDynamoClient, createServices } from '../wiring';

export class DestinationError extends Error {}

export interface DestinationOptions {
  'data-dir'?: string;
  table?: string;
  bucket?: string;
  region?: string;
  'storage-class'?: string;
}

export interface Destination {
  svc: Services;
  /** Where to say the destination is, in messages. */
  label: string;
  /** The local data directory, when the destination is local (the import keeps its state there). */
  dataDir?: string;
  close(): Promise<void>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function storageClass(value: string | undefined): StorageClass {
  const name = value ?? 'GLACIER';
  if (!(STORAGE_CLASSES as readonly string[]).includes(name))
    throw new DestinationError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')} (the deployment's), got "${name}"`);
  return name as StorageClass;
}

/**
 * Deployed: the table and bucket with the user's AWS credentials; `--storage-class` must be
 * the deployment's (archives written here land in it). Local: a running server's stores, or
 * the data directory opened (and locked) for the command's duration.
 */
export async function openDestination(options: DestinationOptions): Promise<Destination> {
  const env = readAdminEnv();
  const local = readLocalConfig({});
  if (options.table || options.bucket) {
    if (!options.table || !options.bucket) throw new DestinationError('A deployed destination needs both --table and --bucket');
    const region = options.region ?? env.region;
    if (!region) throw new DestinationError('--table needs --region (or AWS_REGION)');
    const config: Config = {
      ...local,
      region,
      tableName: options.table,
      bucketName: options.bucket,
      storageClass: storageClass(options['storage-class']),
      retrieval: 'restore',
      storeTimeoutsMs: { connection: 2_000, socket: 30_000 },
      dynamoEndpoint: undefined,
      s3Endpoint: undefined,
    };
    return { svc: createServices(config), label: `table ${options.table}, bucket ${options.bucket}`, close: async () => undefined };
  }

  const dataDir = options['data-dir'] ?? env.dataDir;
  const base = readLocalConfig({ COLDVAULT_DATA_DIR: dataDir });
  const notifier = new FileNotifier(join(dataDir, NOTIFICATIONS_FILE));
  const infoPath = join(dataDir, SERVER_INFO_FILE);
  if (existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as { pid: number; dynamoEndpoint: string; s3Endpoint?: string };
    if (isRunning(info.pid) && info.s3Endpoint) {
      const config: Config = { ...base, dynamoEndpoint: info.dynamoEndpoint, s3Endpoint: info.s3Endpoint };
      return { svc: createServices(config, notifier), label: `data directory ${dataDir}`, dataDir, close: async () => undefined };
    }
  }
  const unlock = lockDataDir(dataDir);
  try {
    const stores = await startEmbeddedStores(dataDir, LOCAL_DEFAULTS.bucketName);
    const config: Config = { ...base, dynamoEndpoint: stores.dynamoEndpoint, s3Endpoint: stores.s3Endpoint };
    await ensureTable(createDynamoClient(config), config.tableName);
    return {
      svc: createServices(config, notifier),
      label: `data directory ${dataDir}`,
      dataDir,
      close: async () => {
        await stores.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

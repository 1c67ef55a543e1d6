// Where the admin command's vault commands (import, inventory, vaults empty) act: the domain's
// services on a local data directory's stores, or on a deployed table and bucket.
import { join } from 'node:path';
import { readAdminEnv, readLocalConfig, STORAGE_CLASSES, type Config, type StorageClass } from '../config';
import type { Services } from '../domain/services';
import { NOTIFICATIONS_FILE } from '../local/server';
import { FileNotifier } from '../store/notifiers';
import { createServices } from '../wiring';
import { LocalStoresError, openLocalStores, type LocalStores } from './local-stores';

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

function storageClass(value: string | undefined): StorageClass {
  const name = value ?? 'GLACIER';
  if (!(STORAGE_CLASSES as readonly string[]).includes(name))
    throw new DestinationError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')} (the deployment's), got "${name}"`);
  return name as StorageClass;
}

/**
 * Deployed: the table and bucket with the user's AWS credentials; `--storage-class` must be
 * the deployment's (archives written here land in it). Local: the data directory's stores
 * (openLocalStores).
 */
export async function openDestination(options: DestinationOptions): Promise<Destination> {
  const env = readAdminEnv();
  if (options.table || options.bucket) {
    if (!options.table || !options.bucket) throw new DestinationError('A deployed destination needs both --table and --bucket');
    const region = options.region ?? env.region;
    if (!region) throw new DestinationError('--table needs --region (or AWS_REGION)');
    const config: Config = {
      ...readLocalConfig({}),
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
  let local: LocalStores;
  try {
    local = await openLocalStores(dataDir, env.stores);
  } catch (error) {
    if (error instanceof LocalStoresError) throw new DestinationError(error.message);
    throw error;
  }
  const notifier = new FileNotifier(join(dataDir, NOTIFICATIONS_FILE));
  return { svc: createServices(local.config, notifier, local.stores), label: `data directory ${dataDir}`, dataDir, close: local.close };
}

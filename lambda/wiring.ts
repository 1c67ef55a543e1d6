// Composition root: builds the stores and services from a Config.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readConfig, type Config } from './config';
import type { Services } from './domain/services';
import { DynamoMetadataStore } from './store/dynamo-metadata';
import { DynamoUploadStore } from './store/dynamo-uploads';
import { DynamoJobStore, DynamoPurgeQueue } from './store/dynamo-jobs';
import { DynamoAccountStore } from './store/dynamo-accounts';
import { SnsNotifier } from './store/notifiers';
import { jsonLogger } from './http/responses';
import { DynamoIdentityStore } from './store/dynamo-identities';
import { LayeredKeyStore, rootKeyFromSecret, StaticKeyStore } from './store/keys';
import type { IdentityStore, KeyStore, Notifier, SecretSealer } from './domain/ports';
import { S3BlobStore } from './store/s3-blobs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SealedIdentityStore } from './store/sealed-identities';
import { KeyFileSealer } from './store/key-file-sealer';
import { KmsSecretSealer } from './store/kms-sealer';

// Emulated stores started without a credential of their own (tests) accept any key; these only make the SDK sign.
const EMBEDDED_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const storeTimeouts = (config: Config) => ({
  requestHandler: { connectionTimeout: config.storeTimeoutsMs.connection, socketTimeout: config.storeTimeoutsMs.socket },
});

export function createDynamoClient(config: Config): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...storeTimeouts(config),
    ...(config.dynamoEndpoint && { endpoint: config.dynamoEndpoint, credentials: config.storeCredentials ?? EMBEDDED_CREDENTIALS }),
  });
}

export function createS3Client(config: Config): S3Client {
  return new S3Client({
    region: config.region,
    ...storeTimeouts(config),
    // Checksums only where an operation requires one. The SDK's default would compute a CRC32 of
    // every body it sends (as an aws-chunked trailer, which embedded servers don't understand) and
    // of every GetObject body it reads: a pass over every byte each way, which S3 needs no more
    // than the reader does. What S3 stores is checked without it: a single PutObject carries the
    // body's SHA-256 as ChecksumSHA256, and the parts of a larger upload are signed with theirs
    // (x-amz-content-sha256), so S3 refuses bytes that differ. Archive bytes read back reach the
    // client over TLS, with the tree hash to check them against.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // With "Expect: 100-continue" (the SDK's default for bodies of 2 MiB or more), the SDK sends
    // each such request on a connection of its own and closes it after: a TCP and TLS handshake per
    // archive. It would save sending a body S3 refuses, which for our own bucket is rare.
    expectContinueHeader: false,
    ...(config.s3Endpoint && {
      endpoint: config.s3Endpoint,
      forcePathStyle: true,
      credentials: config.storeCredentials ?? EMBEDDED_CREDENTIALS,
    }),
  });
}

let lambdaServices: Services | undefined;

/** A Lambda's services, built once per container from its environment and reused by every invocation. */
export function servicesFromEnvironment(): Services {
  lambdaServices ??= createServices(readConfig());
  return lambdaServices;
}

/** Every store the services and the identity checks run on. */
export type StoreSet = Pick<Services, 'metadata' | 'uploads' | 'jobs' | 'purges' | 'accounts' | 'blobs'> & {
  /** Holds secrets as given: wrap it with sealedIdentities before use. */
  identities: IdentityStore;
};

/** DynamoDB and S3: deployed, and `npm start` on emulated stores. */
export function awsStores(config: Config): StoreSet {
  const dynamo = createDynamoClient(config);
  return {
    metadata: new DynamoMetadataStore(dynamo, config.tableName),
    uploads: new DynamoUploadStore(dynamo, config.tableName),
    jobs: new DynamoJobStore(dynamo, config.tableName),
    purges: new DynamoPurgeQueue(dynamo, config.tableName),
    accounts: new DynamoAccountStore(dynamo, config.tableName),
    blobs: new S3BlobStore(createS3Client(config), config.bucketName, config.storageClass),
    identities: new DynamoIdentityStore(dynamo, config.tableName),
  };
}

/** The sealer configured for access-key secrets, if any. */
export function secretSealer(config: Pick<Config, 'secretSealing' | 'region'>): SecretSealer | undefined {
  const sealing = config.secretSealing;
  if (!sealing) return undefined;
  return sealing.kind === 'kms'
    ? new KmsSecretSealer(new KMSClient({ region: config.region }), sealing.keyId)
    : new KeyFileSealer(sealing.path);
}

/** The identity store as the server and the admin command use it: secrets sealed whenever a sealer is configured. */
export function sealedIdentities(identities: IdentityStore, sealer: SecretSealer | undefined): IdentityStore {
  return sealer ? new SealedIdentityStore(identities, sealer) : identities;
}

/** `notifier` defaults to SNS; local mode passes its file notifier. */
export function createServices(config: Config, notifier?: Notifier, stores: StoreSet = awsStores(config)): Services {
  const seconds = config.jobDelaySeconds;
  return {
    metadata: stores.metadata,
    uploads: stores.uploads,
    jobs: stores.jobs,
    purges: stores.purges,
    accounts: stores.accounts,
    blobs: stores.blobs,
    notifier: notifier ?? new SnsNotifier(jsonLogger),
    retrieval:
      config.retrieval === 'restore'
        ? { kind: 'restore' }
        : {
            kind: 'delay',
            delaysMs: { Expedited: seconds.Expedited * 1000, Standard: seconds.Standard * 1000, Bulk: seconds.Bulk * 1000 },
          },
    maxBodyBytes: config.maxBodyBytes,
    region: config.region,
    storageClass: config.storageClass,
    snsTopicAccounts: config.snsTopicAccounts,
    now: () => new Date(),
  };
}

/** The deployment's identity store (DynamoDB), with sealed secrets. */
export function createIdentityStore(config: Config): IdentityStore {
  return sealedIdentities(new DynamoIdentityStore(createDynamoClient(config), config.tableName), secretSealer(config));
}

/** The deployment's root key (from configuration or its secret), then the keys in the table. */
export async function createKeyStore(config: Config, identities: KeyStore = createIdentityStore(config)): Promise<KeyStore> {
  let root: { accessKeyId: string; secretAccessKey: string } | undefined;
  if (config.rootSecretArn) root = await rootKeyFromSecret(new SecretsManagerClient({ region: config.region }), config.rootSecretArn);
  else if (config.rootAccessKeyId && config.rootSecretAccessKey) {
    root = { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey };
  }
  const rootKeys = new StaticKeyStore(
    root ? { [root.accessKeyId]: { accountId: config.accountId, secretAccessKey: root.secretAccessKey } } : {},
  );
  return new LayeredKeyStore([rootKeys, identities]);
}

// The one place that reads process.env. Everything else receives a Config.
import { join } from 'node:path';

export const STORAGE_CLASSES = ['GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/**
 * The largest request body that fits a synchronous Lambda invocation behind API Gateway:
 * the 6 MB invocation payload carries the body base64-encoded (4/3 larger) plus the event's
 * headers and context, for which 64 KiB is kept free. A 4 MiB multipart part fits.
 */
export const LAMBDA_MAX_BODY_BYTES = Math.floor(((6 * 1024 * 1024 - 64 * 1024) * 3) / 4);

/** Where `npm start` keeps its data: embedded (files and LMDB) or emulated AWS (dynalite and s3rver). */
export const STORE_KINDS = ['embedded', 'emulated'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** How access-key secrets are sealed before they reach a store. */
export type SecretSealing = { kind: 'kms'; keyId: string } | { kind: 'key-file'; path: string };

/** Glacier's own largest request body: an UploadArchive or a part of 4 GiB. */
export const GLACIER_MAX_BODY_BYTES = 4 * 1024 * 1024 * 1024;

export interface Config {
  accountId: string;
  region: string;
  /** Root credentials: the key that acts as `accountId` with every permission. */
  rootAccessKeyId?: string;
  rootSecretAccessKey?: string;
  /** Deployed: a Secrets Manager secret holding {accessKeyId, secretAccessKey} for the root key. */
  rootSecretArn?: string;
  tableName: string;
  bucketName: string;
  storageClass: StorageClass;
  maxBodyBytes: number;
  inventoryIntervalSeconds: number;
  /** Local mode: how often the janitor removes idle multipart uploads (deployed: a schedule). */
  janitorIntervalSeconds: number;
  /**
   * How retrieval jobs complete: after a delay per tier, or (cold storage classes, deployed)
   * when S3 has restored the objects.
   */
  retrieval: 'delay' | 'restore';
  jobDelaySeconds: { Expedited: number; Standard: number; Bulk: number };
  /**
   * How long a store request may wait to connect, and then sit idle, before it fails and the
   * SDK retries it: without limits a store that accepts connections but never answers holds
   * a request forever.
   */
  storeTimeoutsMs: { connection: number; socket: number };
  /** Deployed with a data plane: its URL, for answers that only it can give (outputs too large for Lambda). */
  dataEndpoint?: string;
  /** How access-key secrets are sealed; none only where no key exists (a test's bare handler). */
  secretSealing?: SecretSealing;
  /** Accounts, besides the vault's own, whose SNS topics a vault or job may name. */
  snsTopicAccounts: string[];
  /** Credentials for the emulated stores: `npm start` makes them per start; without them, a fixed pair. */
  storeCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Endpoints of S3- and DynamoDB-compatible servers (local mode and tests). */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
  local: LocalConfig;
}

export interface LocalConfig {
  host: string;
  port: number;
  dataDir: string;
  stores: StoreKind;
  /** Tests only: the failpoint at which the server kills itself with SIGKILL. */
  killAt?: string;
  /** Connections served at once; more wait in the kernel's queue. */
  maxConnections: number;
  /** Bytes that bodies sent without x-amz-content-sha256 (read before their signature is checked) may hold at once. */
  unsignedPayloadBytes: number;
  /** A connection that has not sent a request's headers in full this long after it began is answered 408 and closed. */
  headersTimeoutMs: number;
  /** A connection idle this long (no byte in or out) mid-request or between requests is closed. */
  bodyIdleTimeoutMs: number;
}

export const LOCAL_DEFAULTS = {
  accountId: '123456789012',
  region: 'us-east-1',
  accessKeyId: 'AKIDCOLDVAULTLOCAL01',
  secretAccessKey: 'coldvault-local-secret-access-key',
  host: '127.0.0.1',
  port: 3000,
  dataDir: './.coldvault',
  tableName: 'coldvault',
  bucketName: 'coldvault-archives',
} as const;

/**
 * The environment variables the configuration is read from: the stack sets the deployed ones by
 * these names, and nothing else spells them.
 */
export const ENV = {
  accountId: 'COLDVAULT_ACCOUNT_ID',
  region: 'COLDVAULT_REGION',
  awsRegion: 'AWS_REGION',
  awsDefaultRegion: 'AWS_DEFAULT_REGION',
  rootAccessKeyId: 'COLDVAULT_ACCESS_KEY_ID',
  rootSecretAccessKey: 'COLDVAULT_SECRET_ACCESS_KEY',
  rootSecretArn: 'COLDVAULT_ROOT_SECRET_ARN',
  table: 'COLDVAULT_TABLE',
  bucket: 'COLDVAULT_BUCKET',
  storageClass: 'COLDVAULT_STORAGE_CLASS',
  maxBodyBytes: 'COLDVAULT_MAX_BODY_BYTES',
  inventoryIntervalSeconds: 'COLDVAULT_INVENTORY_INTERVAL_SECONDS',
  janitorIntervalSeconds: 'COLDVAULT_JANITOR_INTERVAL_SECONDS',
  jobDelaySeconds: 'COLDVAULT_JOB_DELAY_SECONDS',
  jobDelayExpeditedSeconds: 'COLDVAULT_JOB_DELAY_EXPEDITED_SECONDS',
  jobDelayStandardSeconds: 'COLDVAULT_JOB_DELAY_STANDARD_SECONDS',
  jobDelayBulkSeconds: 'COLDVAULT_JOB_DELAY_BULK_SECONDS',
  s3Endpoint: 'COLDVAULT_S3_ENDPOINT',
  dynamoEndpoint: 'COLDVAULT_DYNAMODB_ENDPOINT',
  host: 'COLDVAULT_HOST',
  port: 'PORT',
  dataDir: 'COLDVAULT_DATA_DIR',
  testKillAt: 'COLDVAULT_TEST_KILL_AT',
  /** The deployed data plane's URL, set on the functions that name it. */
  dataEndpoint: 'COLDVAULT_DATA_ENDPOINT',
  /** Where `npm start` keeps its data: embedded or emulated. */
  stores: 'COLDVAULT_STORES',
  /** Deployed: the KMS key that seals access-key secrets. */
  secretsKeyId: 'COLDVAULT_SECRETS_KEY_ID',
  /** Accounts, besides a vault's own, whose SNS topics may be named (comma-separated). */
  snsTopicAccounts: 'COLDVAULT_SNS_TOPIC_ACCOUNTS',
  /** `lambda` makes `npm start` take only the bodies the API Gateway plane takes. */
  limits: 'COLDVAULT_LIMITS',
  maxConnections: 'COLDVAULT_MAX_CONNECTIONS',
  unsignedPayloadBytes: 'COLDVAULT_UNSIGNED_PAYLOAD_BYTES',
  headersTimeoutMs: 'COLDVAULT_HEADERS_TIMEOUT_MS',
  bodyIdleTimeoutMs: 'COLDVAULT_BODY_IDLE_TIMEOUT_MS',
} as const;

type Env = Record<string, string | undefined>;

/**
 * On Node 20 the AWS SDK prints, once per process, that its releases after the first week of
 * January 2027 will need Node 22. The SDK versions locked here run on Node 20, and the Lambda
 * functions run on Node 22 (no notice there), so the local entry points and the tests turn it
 * off with the SDK's own switch, unless it is set already.
 */
export function silenceSdkNodeNotice(env: Env = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export class ConfigError extends Error {}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function text(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function required(env: Env, name: string): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigError(`${name} must be set`);
  return value;
}

function storageClass(env: Env): StorageClass {
  const raw = text(env, ENV.storageClass, 'GLACIER') as string;
  if (!(STORAGE_CLASSES as readonly string[]).includes(raw)) {
    throw new ConfigError(`${ENV.storageClass} must be one of ${STORAGE_CLASSES.join(', ')}, got "${raw}"`);
  }
  return raw as StorageClass;
}

function accountId(env: Env, fallback?: string): string {
  const value = fallback === undefined ? required(env, ENV.accountId) : (text(env, ENV.accountId, fallback) as string);
  if (!/^\d{12}$/.test(value)) throw new ConfigError(`${ENV.accountId} must be 12 digits, got "${value}"`);
  return value;
}

const COLD_CLASSES: readonly StorageClass[] = ['GLACIER', 'DEEP_ARCHIVE'];

function jobDelays(env: Env, defaults: { Expedited: number; Standard: number; Bulk: number }) {
  const all = env[ENV.jobDelaySeconds];
  const tier = (name: 'Expedited' | 'Standard' | 'Bulk') =>
    integer(env, ENV[`jobDelay${name}Seconds`], all ? integer(env, ENV.jobDelaySeconds, 0, 0) : defaults[name], 0);
  return { Expedited: tier('Expedited'), Standard: tier('Standard'), Bulk: tier('Bulk') };
}

function storeKind(env: Env): StoreKind {
  const raw = text(env, ENV.stores, 'embedded') as string;
  if (!(STORE_KINDS as readonly string[]).includes(raw))
    throw new ConfigError(`${ENV.stores} must be one of ${STORE_KINDS.join(', ')}, got "${raw}"`);
  return raw as StoreKind;
}

function snsTopicAccounts(env: Env): string[] {
  const accounts = (text(env, ENV.snsTopicAccounts) ?? '')
    .split(',')
    .map((account) => account.trim())
    .filter(Boolean);
  for (const account of accounts) {
    if (!/^\d{12}$/.test(account)) throw new ConfigError(`${ENV.snsTopicAccounts} must list 12-digit account IDs, got "${account}"`);
  }
  return accounts;
}

/** The key file that seals secrets in local mode, in the data directory. */
export const SECRETS_KEY_FILE = 'secrets.key';

function common(env: Env) {
  return {
    snsTopicAccounts: snsTopicAccounts(env),
    storageClass: storageClass(env),
    maxBodyBytes: integer(env, ENV.maxBodyBytes, LAMBDA_MAX_BODY_BYTES, 1),
    inventoryIntervalSeconds: integer(env, ENV.inventoryIntervalSeconds, 86400, 1),
    janitorIntervalSeconds: integer(env, ENV.janitorIntervalSeconds, 3600, 1),
    s3Endpoint: text(env, ENV.s3Endpoint),
    dynamoEndpoint: text(env, ENV.dynamoEndpoint),
  };
}

/** Configuration of a deployed Lambda function; the stack sets these variables. */
export function readConfig(env: Env = process.env): Config {
  const base = common(env);
  return {
    ...base,
    // Glacier's lower bounds, for storage classes that need no restore.
    jobDelaySeconds: jobDelays(env, { Expedited: 60, Standard: 3 * 3600, Bulk: 5 * 3600 }),
    retrieval: COLD_CLASSES.includes(base.storageClass) ? 'restore' : 'delay',
    // An idle limit leaves long transfers alone; over the SDK's attempts (4 for DynamoDB) a
    // request still fails well inside the API function's 29 s.
    storeTimeoutsMs: { connection: 2_000, socket: 3_000 },
    accountId: accountId(env),
    region: text(env, ENV.region) ?? required(env, ENV.awsRegion),
    rootAccessKeyId: text(env, ENV.rootAccessKeyId),
    rootSecretAccessKey: text(env, ENV.rootSecretAccessKey),
    rootSecretArn: text(env, ENV.rootSecretArn),
    ...(text(env, ENV.secretsKeyId) && { secretSealing: { kind: 'kms' as const, keyId: text(env, ENV.secretsKeyId) as string } }),
    tableName: required(env, ENV.table),
    bucketName: required(env, ENV.bucket),
    dataEndpoint: text(env, ENV.dataEndpoint),
    local: {
      host: LOCAL_DEFAULTS.host,
      port: LOCAL_DEFAULTS.port,
      dataDir: LOCAL_DEFAULTS.dataDir,
      stores: 'emulated',
      ...LOCAL_HTTP_DEFAULTS,
    },
  };
}

/**
 * Configuration of the data plane's container: the api function's (the task has the same
 * variables), listening on every interface on PORT, with `defaults.maxBodyBytes` unless
 * COLDVAULT_MAX_BODY_BYTES says otherwise.
 */
export function readContainerConfig(defaults: { port: number; maxBodyBytes: number }, env: Env = process.env): Config {
  const config = readConfig({ ...env, [ENV.maxBodyBytes]: text(env, ENV.maxBodyBytes, String(defaults.maxBodyBytes)) });
  return { ...config, local: { ...config.local, host: '0.0.0.0', port: integer(env, ENV.port, defaults.port, 0, 65535) } };
}

const LOCAL_HTTP_DEFAULTS = {
  maxConnections: 256,
  unsignedPayloadBytes: 64 * 1024 * 1024,
  headersTimeoutMs: 15_000,
  bodyIdleTimeoutMs: 60_000,
};

/** Local mode's body limit: Glacier's own, or the API Gateway plane's with COLDVAULT_LIMITS=lambda. */
function localMaxBodyBytes(env: Env): number {
  const limits = text(env, ENV.limits, 'glacier');
  if (limits !== 'glacier' && limits !== 'lambda') throw new ConfigError(`${ENV.limits} must be glacier or lambda, got "${limits}"`);
  return integer(env, ENV.maxBodyBytes, limits === 'lambda' ? LAMBDA_MAX_BODY_BYTES : GLACIER_MAX_BODY_BYTES, 1);
}

/** What the admin command reads from the environment. */
export function readAdminEnv(env: Env = process.env): {
  dataDir: string;
  stores: StoreKind;
  secretsKeyId?: string;
  region?: string;
  killAt?: string;
} {
  return {
    dataDir: text(env, ENV.dataDir, LOCAL_DEFAULTS.dataDir) as string,
    stores: storeKind(env),
    secretsKeyId: text(env, ENV.secretsKeyId),
    region: text(env, ENV.awsRegion) ?? text(env, ENV.awsDefaultRegion),
    // Tests' process-kill scenarios: a failpoint name, optionally @N for its Nth pass.
    killAt: text(env, ENV.testKillAt),
  };
}

/** Configuration of `npm start`: everything has a default that works on a laptop. */
export function readLocalConfig(env: Env = process.env): Config {
  const dataDir = text(env, ENV.dataDir, LOCAL_DEFAULTS.dataDir) as string;
  return {
    ...common(env),
    maxBodyBytes: localMaxBodyBytes(env),
    jobDelaySeconds: jobDelays(env, { Expedited: 1, Standard: 3, Bulk: 5 }),
    retrieval: 'delay',
    // The embedded stores run in this process, on this machine's disk: an idle socket more
    // often means a busy laptop than a hung store, so the idle limit is longer than deployed.
    // DynamoDB's 4 attempts still end a request to a hung store inside 30 s (the SDK defers
    // idle limits of 6 s or more by 3 s, so 5 s is the most that stays exact).
    storeTimeoutsMs: { connection: 2_000, socket: 5_000 },
    accountId: accountId(env, LOCAL_DEFAULTS.accountId),
    region: text(env, ENV.region, LOCAL_DEFAULTS.region) as string,
    rootAccessKeyId: text(env, ENV.rootAccessKeyId, LOCAL_DEFAULTS.accessKeyId),
    rootSecretAccessKey: text(env, ENV.rootSecretAccessKey, LOCAL_DEFAULTS.secretAccessKey),
    tableName: LOCAL_DEFAULTS.tableName,
    bucketName: LOCAL_DEFAULTS.bucketName,
    secretSealing: { kind: 'key-file', path: join(dataDir, SECRETS_KEY_FILE) },
    local: {
      host: text(env, ENV.host, LOCAL_DEFAULTS.host) as string,
      port: integer(env, ENV.port, LOCAL_DEFAULTS.port, 0, 65535),
      dataDir,
      stores: storeKind(env),
      killAt: text(env, ENV.testKillAt),
      maxConnections: integer(env, ENV.maxConnections, LOCAL_HTTP_DEFAULTS.maxConnections, 1),
      unsignedPayloadBytes: integer(env, ENV.unsignedPayloadBytes, LOCAL_HTTP_DEFAULTS.unsignedPayloadBytes, 1024 * 1024),
      headersTimeoutMs: integer(env, ENV.headersTimeoutMs, LOCAL_HTTP_DEFAULTS.headersTimeoutMs, 100),
      bodyIdleTimeoutMs: integer(env, ENV.bodyIdleTimeoutMs, LOCAL_HTTP_DEFAULTS.bodyIdleTimeoutMs, 100),
    },
  };
}

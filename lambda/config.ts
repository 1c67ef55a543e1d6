// The one place that reads process.env. Everything else receives a Config.

export const STORAGE_CLASSES = ['GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

/**
 * The largest request body that fits a synchronous Lambda invocation behind API Gateway:
 * the 6 MB invocation payload carries the body base64-encoded (4/3 larger) plus the event's
 * headers and context, for which 64 KiB is kept free. A 4 MiB multipart part fits.
 */
export const LAMBDA_MAX_BODY_BYTES = Math.floor(((6 * 1024 * 1024 - 64 * 1024) * 3) / 4);

/** Glacier's own largest request body: an UploadArchive or a part of 4 GiB. */
export const GLACIER_MAX_BODY_BYTES = 4 * 1024 * 1024 * 1024;

/** `COLDVAULT_LIMITS=lambda` makes `npm start` take only the bodies the API Gateway plane takes. */
export const LIMITS_ENV = 'COLDVAULT_LIMITS';
export const MAX_BODY_BYTES_ENV = 'COLDVAULT_MAX_BODY_BYTES';
export const MAX_CONNECTIONS_ENV = 'COLDVAULT_MAX_CONNECTIONS';
export const UNSIGNED_PAYLOAD_BYTES_ENV = 'COLDVAULT_UNSIGNED_PAYLOAD_BYTES';
export const HEADERS_TIMEOUT_MS_ENV = 'COLDVAULT_HEADERS_TIMEOUT_MS';
export const BODY_IDLE_TIMEOUT_MS_ENV = 'COLDVAULT_BODY_IDLE_TIMEOUT_MS';

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
  /** Endpoints of S3- and DynamoDB-compatible servers (local mode and tests). */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
  local: LocalConfig;
}

export interface LocalConfig {
  host: string;
  port: number;
  dataDir: string;
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

type Env = Record<string, string | undefined>;

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
  const raw = text(env, 'COLDVAULT_STORAGE_CLASS', 'GLACIER') as string;
  if (!(STORAGE_CLASSES as readonly string[]).includes(raw)) {
    throw new ConfigError(`COLDVAULT_STORAGE_CLASS must be one of ${STORAGE_CLASSES.join(', ')}, got "${raw}"`);
  }
  return raw as StorageClass;
}

function accountId(env: Env, fallback?: string): string {
  const value = fallback === undefined ? required(env, 'COLDVAULT_ACCOUNT_ID') : (text(env, 'COLDVAULT_ACCOUNT_ID', fallback) as string);
  if (!/^\d{12}$/.test(value)) throw new ConfigError(`COLDVAULT_ACCOUNT_ID must be 12 digits, got "${value}"`);
  return value;
}

const COLD_CLASSES: readonly StorageClass[] = ['GLACIER', 'DEEP_ARCHIVE'];

function jobDelays(env: Env, defaults: { Expedited: number; Standard: number; Bulk: number }) {
  const all = env.COLDVAULT_JOB_DELAY_SECONDS;
  const tier = (name: 'Expedited' | 'Standard' | 'Bulk') =>
    integer(
      env,
      `COLDVAULT_JOB_DELAY_${name.toUpperCase()}_SECONDS`,
      all ? integer(env, 'COLDVAULT_JOB_DELAY_SECONDS', 0, 0) : defaults[name],
      0,
    );
  return { Expedited: tier('Expedited'), Standard: tier('Standard'), Bulk: tier('Bulk') };
}

function common(env: Env) {
  return {
    storageClass: storageClass(env),
    maxBodyBytes: integer(env, MAX_BODY_BYTES_ENV, LAMBDA_MAX_BODY_BYTES, 1),
    inventoryIntervalSeconds: integer(env, 'COLDVAULT_INVENTORY_INTERVAL_SECONDS', 86400, 1),
    janitorIntervalSeconds: integer(env, 'COLDVAULT_JANITOR_INTERVAL_SECONDS', 3600, 1),
    s3Endpoint: text(env, 'COLDVAULT_S3_ENDPOINT'),
    dynamoEndpoint: text(env, 'COLDVAULT_DYNAMODB_ENDPOINT'),
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
    region: text(env, 'COLDVAULT_REGION') ?? required(env, 'AWS_REGION'),
    rootAccessKeyId: text(env, 'COLDVAULT_ACCESS_KEY_ID'),
    rootSecretAccessKey: text(env, 'COLDVAULT_SECRET_ACCESS_KEY'),
    rootSecretArn: text(env, 'COLDVAULT_ROOT_SECRET_ARN'),
    tableName: required(env, 'COLDVAULT_TABLE'),
    bucketName: required(env, 'COLDVAULT_BUCKET'),
    local: { host: LOCAL_DEFAULTS.host, port: LOCAL_DEFAULTS.port, dataDir: LOCAL_DEFAULTS.dataDir, ...LOCAL_HTTP_DEFAULTS },
  };
}

const LOCAL_HTTP_DEFAULTS = {
  maxConnections: 256,
  unsignedPayloadBytes: 64 * 1024 * 1024,
  headersTimeoutMs: 15_000,
  bodyIdleTimeoutMs: 60_000,
};

/** Local mode's body limit: Glacier's own, or the API Gateway plane's with COLDVAULT_LIMITS=lambda. */
function localMaxBodyBytes(env: Env): number {
  const limits = text(env, LIMITS_ENV, 'glacier');
  if (limits !== 'glacier' && limits !== 'lambda') throw new ConfigError(`${LIMITS_ENV} must be glacier or lambda, got "${limits}"`);
  return integer(env, MAX_BODY_BYTES_ENV, limits === 'lambda' ? LAMBDA_MAX_BODY_BYTES : GLACIER_MAX_BODY_BYTES, 1);
}

/** What the admin command reads from the environment. */
export function readAdminEnv(env: Env = process.env): { dataDir: string; region?: string } {
  return {
    dataDir: text(env, 'COLDVAULT_DATA_DIR', LOCAL_DEFAULTS.dataDir) as string,
    region: text(env, 'AWS_REGION') ?? text(env, 'AWS_DEFAULT_REGION'),
  };
}

/** Configuration of `npm start`: everything has a default that works on a laptop. */
export function readLocalConfig(env: Env = process.env): Config {
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
    region: text(env, 'COLDVAULT_REGION', LOCAL_DEFAULTS.region) as string,
    rootAccessKeyId: text(env, 'COLDVAULT_ACCESS_KEY_ID', LOCAL_DEFAULTS.accessKeyId),
    rootSecretAccessKey: text(env, 'COLDVAULT_SECRET_ACCESS_KEY', LOCAL_DEFAULTS.secretAccessKey),
    tableName: LOCAL_DEFAULTS.tableName,
    bucketName: LOCAL_DEFAULTS.bucketName,
    local: {
      host: text(env, 'COLDVAULT_HOST', LOCAL_DEFAULTS.host) as string,
      port: integer(env, 'PORT', LOCAL_DEFAULTS.port, 0, 65535),
      dataDir: text(env, 'COLDVAULT_DATA_DIR', LOCAL_DEFAULTS.dataDir) as string,
      killAt: text(env, 'COLDVAULT_TEST_KILL_AT'),
      maxConnections: integer(env, MAX_CONNECTIONS_ENV, LOCAL_HTTP_DEFAULTS.maxConnections, 1),
      unsignedPayloadBytes: integer(env, UNSIGNED_PAYLOAD_BYTES_ENV, LOCAL_HTTP_DEFAULTS.unsignedPayloadBytes, 1024 * 1024),
      headersTimeoutMs: integer(env, HEADERS_TIMEOUT_MS_ENV, LOCAL_HTTP_DEFAULTS.headersTimeoutMs, 100),
      bodyIdleTimeoutMs: integer(env, BODY_IDLE_TIMEOUT_MS_ENV, LOCAL_HTTP_DEFAULTS.bodyIdleTimeoutMs, 100),
    },
  };
}

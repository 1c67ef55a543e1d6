import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'constructs';
import { STORAGE_CLASSES, type StorageClass } from '../lambda/config';

/** Where `config/<env>.json` files live. */
export const CONFIG_DIR = join(__dirname, '..', 'config');

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface ColdvaultSettings {
  /** Environment name: the stack is `coldvault-<envName>` and the API stage is named after it. */
  envName: string;
  storageClass: StorageClass;
  /** Access key ID of the root key; its secret is generated into Secrets Manager. */
  rootAccessKeyId: string;
  /** When every vault's inventory is regenerated: an EventBridge `rate(...)` or `cron(...)` expression. */
  inventorySchedule: string;
  /** How long function, API access and server access logs are kept. */
  logRetentionDays: number;
  /**
   * What a stack delete does to what holds data (bucket, table, key, logs). RETAIN also turns on
   * the table's deletion protection. DESTROY empties and deletes the bucket: for throwaway environments.
   */
  removalPolicy: 'RETAIN' | 'DESTROY';
  /** API Gateway stage limits: steady requests per second, and the burst above it. */
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  /** Who the alarms notify. */
  alarmEmails: string[];
  /** A custom domain for the API (needs an ACM certificate in the stack's region)... */
  domainName?: string;
  certificateArn?: string;
  /** ...and the Route 53 zone that gets its alias record, and the data plane's (both or neither). */
  hostedZoneId?: string;
  hostedZoneName?: string;
  /** A customer-managed key, rotated yearly, encrypting the bucket, the table and the failure queue. */
  kms: boolean;
  /** S3 Object Lock on the bucket (it turns on versioning), with this default retention. */
  objectLock?: 'GOVERNANCE' | 'COMPLIANCE';
  objectLockRetentionDays?: number;
  /** S3 server access logs of the archive bucket, into a bucket of their own. */
  serverAccessLogs: boolean;
  /**
   * The container data plane: the same API with Glacier's own limits (4 GiB bodies) on ECS
   * Fargate behind a load balancer, with a fixed hourly cost. Deploying it needs Docker.
   */
  dataPlane: boolean;
  /** Its custom domain and the ACM certificate for it; without them it serves plain HTTP on the load balancer's name. */
  dataDomainName?: string;
  dataCertificateArn?: string;
  /** The most tasks autoscaling may run (it keeps at least one). */
  dataPlaneMaxTasks: number;
}

type Raw = Record<string, unknown>;

class Reader {
  constructor(
    private readonly values: Raw,
    /** Keys whose values come from the context: from the command line they are strings. */
    private readonly fromContext: Set<string>,
    private readonly fileName: string,
  ) {}

  private fail(key: string, expected: string): never {
    const source = this.fromContext.has(key) ? `Context "${key}"` : `"${key}" in ${this.fileName}`;
    throw new Error(`${source} must be ${expected}, got ${JSON.stringify(this.values[key])}`);
  }

  /** A value given as a string on the command line. */
  private text(key: string): string | undefined {
    const value = this.values[key];
    return this.fromContext.has(key) && typeof value === 'string' ? value.trim() : undefined;
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  string(key: string, pattern?: RegExp, expected = 'a string'): string | undefined {
    const value = this.values[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) this.fail(key, expected);
    return value;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const value = this.values[key];
    if (value === undefined) return undefined;
    if (!choices.includes(value as T)) this.fail(key, `one of ${choices.join(', ')}`);
    return value as T;
  }

  integer(key: string, min: number, max: number, allowed?: readonly number[]): number | undefined {
    const raw = this.values[key];
    if (raw === undefined) return undefined;
    const text = this.text(key);
    const value = text ? Number(text) : raw;
    if (allowed) {
      if (!allowed.includes(value as number)) this.fail(key, `one of ${allowed.join(', ')}`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(key, `a whole number from ${min} to ${max}`);
    }
    return value as number;
  }

  boolean(key: string): boolean | undefined {
    const value = this.values[key];
    if (value === undefined) return undefined;
    const text = this.text(key);
    if (value === true || text === 'true') return true;
    if (value === false || text === 'false') return false;
    return this.fail(key, 'true or false');
  }

  /** A JSON list in a file; a comma-separated list on the command line. */
  emails(key: string): string[] | undefined {
    const raw = this.values[key];
    if (raw === undefined) return undefined;
    const text = this.text(key);
    const list =
      text === undefined
        ? raw
        : text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    if (!Array.isArray(list) || !list.every((e) => typeof e === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e))) {
      this.fail(key, 'a list of email addresses');
    }
    return list as string[];
  }
}

const KEYS = [
  'storageClass',
  'rootAccessKeyId',
  'inventorySchedule',
  'logRetentionDays',
  'removalPolicy',
  'throttlingRateLimit',
  'throttlingBurstLimit',
  'alarmEmails',
  'domainName',
  'certificateArn',
  'hostedZoneId',
  'hostedZoneName',
  'kms',
  'objectLock',
  'objectLockRetentionDays',
  'serverAccessLogs',
  'dataPlane',
  'dataDomainName',
  'dataCertificateArn',
  'dataPlaneMaxTasks',
] as const;

// Rates take a singular unit for 1 and a plural one otherwise; crons have six fields.
const SCHEDULE = /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function checkEnvName(envName: string): void {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(envName)) {
    throw new Error(`Context "env" must start with a letter and hold only letters, digits and hyphens (at most 40), got "${envName}"`);
  }
}

/**
 * Builds and checks the settings of one environment: `file` is the content of `config/<env>.json`,
 * `overrides` the CDK context values given for the same keys (they win).
 */
export function parseSettings(envName: string, file: unknown, overrides: Raw = {}, fileName = `config/${envName}.json`): ColdvaultSettings {
  checkEnvName(envName);
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new Error(`${fileName} must hold a JSON object`);
  const unknown = Object.keys(file).filter((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new Error(`${fileName} has unknown settings: ${unknown.join(', ')} (known: ${KEYS.join(', ')})`);

  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined && value !== null && value !== ''));
  const r = new Reader({ ...(file as Raw), ...given }, new Set(Object.keys(given)), fileName);
  const required = <T>(key: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`${fileName} must set "${key}"`);
    return value;
  };

  const settings: ColdvaultSettings = {
    envName,
    storageClass: r.oneOf('storageClass', STORAGE_CLASSES) ?? 'GLACIER',
    rootAccessKeyId:
      r.string('rootAccessKeyId', /^[A-Za-z0-9]{1,128}$/, 'at most 128 letters or digits') ??
      `AKIDCOLDVAULT${envName.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
    inventorySchedule:
      r.string('inventorySchedule', SCHEDULE, 'an EventBridge expression like "rate(1 day)" or "cron(0 3 * * ? *)"') ?? 'rate(1 day)',
    logRetentionDays: required('logRetentionDays', r.integer('logRetentionDays', 1, 3653, LOG_RETENTION_DAYS)),
    removalPolicy: required('removalPolicy', r.oneOf('removalPolicy', ['RETAIN', 'DESTROY'] as const)),
    throttlingRateLimit: required('throttlingRateLimit', r.integer('throttlingRateLimit', 1, 1_000_000)),
    throttlingBurstLimit: required('throttlingBurstLimit', r.integer('throttlingBurstLimit', 1, 1_000_000)),
    alarmEmails: r.emails('alarmEmails') ?? [],
    domainName: r.string('domainName', DOMAIN, 'a lower-case domain name'),
    certificateArn: r.string('certificateArn', CERTIFICATE_ARN, 'the ARN of an ACM certificate'),
    hostedZoneId: r.string('hostedZoneId', /^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone ID'),
    hostedZoneName: r.string('hostedZoneName', DOMAIN, 'a lower-case domain name'),
    kms: r.boolean('kms') ?? false,
    objectLock: r.oneOf('objectLock', ['GOVERNANCE', 'COMPLIANCE'] as const),
    objectLockRetentionDays: r.integer('objectLockRetentionDays', 1, 36500),
    serverAccessLogs: r.boolean('serverAccessLogs') ?? false,
    dataPlane: r.boolean('dataPlane') ?? false,
    dataDomainName: r.string('dataDomainName', DOMAIN, 'a lower-case domain name'),
    dataCertificateArn: r.string('dataCertificateArn', CERTIFICATE_ARN, 'the ARN of an ACM certificate'),
    dataPlaneMaxTasks: r.integer('dataPlaneMaxTasks', 1, 100) ?? 4,
  };

  const problem = (message: string) => {
    throw new Error(`Settings of environment "${envName}": ${message}`);
  };
  if (settings.throttlingBurstLimit < settings.throttlingRateLimit)
    problem('"throttlingBurstLimit" must be at least "throttlingRateLimit"');
  if (!settings.domainName !== !settings.certificateArn) problem('"domainName" and "certificateArn" go together');
  if (!settings.hostedZoneId !== !settings.hostedZoneName) problem('"hostedZoneId" and "hostedZoneName" go together');
  if (!settings.dataDomainName !== !settings.dataCertificateArn) problem('"dataDomainName" and "dataCertificateArn" go together');
  if (settings.hostedZoneId && !settings.domainName && !settings.dataDomainName)
    problem('a hosted zone needs "domainName" or "dataDomainName"');
  for (const key of ['domainName', 'dataDomainName'] as const) {
    const name = settings[key];
    if (name && settings.hostedZoneName && !`.${name}`.endsWith(`.${settings.hostedZoneName}`)) {
      problem(`"${key}" ${name} is not in the hosted zone ${settings.hostedZoneName}`);
    }
  }
  if (settings.dataDomainName && settings.dataDomainName === settings.domainName) problem('"dataDomainName" must differ from "domainName"');
  if (!settings.objectLock !== (settings.objectLockRetentionDays === undefined))
    problem('"objectLock" and "objectLockRetentionDays" go together');
  // Locked object versions cannot be deleted, so the bucket could not be emptied and deleted.
  if (settings.objectLock && settings.removalPolicy === 'DESTROY') problem('"objectLock" needs "removalPolicy": "RETAIN"');
  return settings;
}

/** Reads `config/<env>.json` for the environment named by context `env` (default dev), with context values overriding it. */
export function readSettings(node: Node, configDir = CONFIG_DIR): ColdvaultSettings {
  const contextValue = (name: string): unknown => {
    const value: unknown = node.tryGetContext(name);
    return value === null || value === '' ? undefined : value;
  };
  const envName = String(contextValue('env') ?? 'dev');
  checkEnvName(envName);
  const path = join(configDir, `${envName}.json`);
  const fileName = `config/${envName}.json`;
  if (!existsSync(path))
    throw new Error(`No settings for environment "${envName}": create ${fileName} (config/dev.json and config/prod.json are examples)`);
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${fileName} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSettings(envName, file, Object.fromEntries(KEYS.map((key) => [key, contextValue(key)])), fileName);
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { STORAGE_CLASSES } from '../../lambda/config';
import { CONFIG_DIR, parseSettings, readSettings } from '../../lib/settings';

// Nothing is synthesised here; the shared outdir only keeps each App from making a directory of its own.
const outdir = mkdtempSync(join(tmpdir(), 'coldvault-settings-'));
const configDir = mkdtempSync(join(tmpdir(), 'coldvault-config-'));
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

const settingsOf = (context: Record<string, unknown>, dir = CONFIG_DIR) => readSettings(new App({ context, outdir }).node, dir);
const MINIMAL = { logRetentionDays: 30, removalPolicy: 'RETAIN', throttlingRateLimit: 10, throttlingBurstLimit: 20 };
const parse = (file: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  parseSettings('test', { ...MINIMAL, ...file }, overrides);

describe('the environment files', () => {
  it('deploy dev as a throwaway environment: everything goes with the stack, S3-managed keys, no server access logs', () => {
    expect(settingsOf({})).toEqual({
      envName: 'dev',
      storageClass: 'GLACIER',
      rootAccessKeyId: 'AKIDCOLDVAULTDEV',
      inventorySchedule: 'rate(1 day)',
      logRetentionDays: 14,
      removalPolicy: 'DESTROY',
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
      alarmEmails: [],
      kms: false,
      serverAccessLogs: false,
      dataPlane: false,
      dataPlaneMaxTasks: 4,
    });
  });

  it('deploy prod so that data outlives the stack, encrypted with a key of its own, with server access logs', () => {
    expect(settingsOf({ env: 'prod' })).toEqual({
      envName: 'prod',
      storageClass: 'GLACIER',
      rootAccessKeyId: 'AKIDCOLDVAULTPROD',
      inventorySchedule: 'cron(0 3 * * ? *)',
      logRetentionDays: 365,
      removalPolicy: 'RETAIN',
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      alarmEmails: [],
      kms: true,
      serverAccessLogs: true,
      dataPlane: false,
      dataPlaneMaxTasks: 4,
    });
  });
});

describe('context values', () => {
  it('override the file, typed as on the command line (strings) or as in cdk.json (JSON)', () => {
    const fromCli = settingsOf({
      env: 'prod',
      storageClass: 'DEEP_ARCHIVE',
      kms: 'false',
      logRetentionDays: '30',
      throttlingRateLimit: '5',
      throttlingBurstLimit: '6',
      alarmEmails: 'ops@example.com, oncall@example.org',
      inventorySchedule: 'rate(12 hours)',
      objectLock: 'GOVERNANCE',
      objectLockRetentionDays: '90',
    });
    expect(fromCli).toMatchObject({
      storageClass: 'DEEP_ARCHIVE',
      kms: false,
      serverAccessLogs: true,
      logRetentionDays: 30,
      throttlingRateLimit: 5,
      throttlingBurstLimit: 6,
      alarmEmails: ['ops@example.com', 'oncall@example.org'],
      inventorySchedule: 'rate(12 hours)',
      objectLock: 'GOVERNANCE',
      objectLockRetentionDays: 90,
    });
    expect(settingsOf({ env: 'prod', kms: false, alarmEmails: ['ops@example.com'], logRetentionDays: 90 })).toMatchObject({
      kms: false,
      alarmEmails: ['ops@example.com'],
      logRetentionDays: 90,
    });
  });

  it('take every storage class the functions accept, and an explicit root key ID', () => {
    for (const storageClass of STORAGE_CLASSES) expect(settingsOf({ storageClass }).storageClass).toBe(storageClass);
    expect(settingsOf({ rootAccessKeyId: 'AKIDEXAMPLE1234567' }).rootAccessKeyId).toBe('AKIDEXAMPLE1234567');
  });

  it('take a custom domain with its certificate and hosted zone', () => {
    const domain = {
      domainName: 'glacier.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
    };
    expect(settingsOf(domain)).toMatchObject(domain);
  });
});

describe('environment files and names', () => {
  it('derives the root key ID from letters and digits of the environment name only', () => {
    writeFileSync(join(configDir, 'prod-eu1.json'), JSON.stringify(MINIMAL));
    expect(settingsOf({ env: 'prod-eu1' }, configDir).rootAccessKeyId).toBe('AKIDCOLDVAULTPRODEU1');
  });

  it('refuses an environment without a file, a file that is not JSON, and unknown settings', () => {
    expect(() => settingsOf({ env: 'staging' }, configDir)).toThrow('No settings for environment "staging": create config/staging.json');
    writeFileSync(join(configDir, 'broken.json'), '{ "kms": true, }');
    expect(() => settingsOf({ env: 'broken' }, configDir)).toThrow(/^config\/broken\.json is not valid JSON/);
    writeFileSync(join(configDir, 'typo.json'), JSON.stringify({ ...MINIMAL, kmsKey: true }));
    expect(() => settingsOf({ env: 'typo' }, configDir)).toThrow('config/typo.json has unknown settings: kmsKey');
    writeFileSync(join(configDir, 'list.json'), '[]');
    expect(() => settingsOf({ env: 'list' }, configDir)).toThrow('config/list.json must hold a JSON object');
  });

  it('refuses an environment name unfit for a stack or stage', () => {
    expect(() => settingsOf({ env: 'my_env' })).toThrow(/Context "env" must start with a letter/);
    expect(() => settingsOf({ env: '1prod' })).toThrow(/Context "env"/);
  });

  it('keeps the example files to known settings', () => {
    for (const name of ['dev', 'prod']) {
      const file = JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
      expect(parseSettings(name, file).envName).toBe(name);
    }
  });
});

describe('checks', () => {
  it('name the file or the context value at fault', () => {
    expect(() => parse({ storageClass: 'GLACIER_FLEXIBLE' })).toThrow(
      '"storageClass" in config/test.json must be one of GLACIER, DEEP_ARCHIVE',
    );
    expect(() => parse({}, { storageClass: 'GLACIER_FLEXIBLE' })).toThrow('Context "storageClass" must be one of GLACIER');
  });

  it.each([
    [{ logRetentionDays: undefined }, 'config/test.json must set "logRetentionDays"'],
    [{ removalPolicy: undefined }, 'must set "removalPolicy"'],
    [{ removalPolicy: 'SNAPSHOT' }, '"removalPolicy" in config/test.json must be one of RETAIN, DESTROY'],
    [{ logRetentionDays: 10 }, '"logRetentionDays" in config/test.json must be one of 1, 3, 5, 7, 14, 30'],
    [{ throttlingRateLimit: 1.5 }, '"throttlingRateLimit" in config/test.json must be a whole number from 1 to 1000000'],
    [{ throttlingRateLimit: 0 }, '"throttlingRateLimit" in config/test.json must be a whole number'],
    [{ throttlingRateLimit: 30, throttlingBurstLimit: 20 }, '"throttlingBurstLimit" must be at least "throttlingRateLimit"'],
    [{ inventorySchedule: 'daily' }, '"inventorySchedule" in config/test.json must be an EventBridge expression'],
    [{ inventorySchedule: 'rate(1 days)' }, '"inventorySchedule"'],
    [{ inventorySchedule: 'cron(0 3 * * *)' }, '"inventorySchedule"'],
    // Strings are taken for numbers and booleans only from the command line.
    [{ kms: 'true' }, '"kms" in config/test.json must be true or false'],
    [{ logRetentionDays: '30' }, '"logRetentionDays" in config/test.json must be one of'],
    [{ alarmEmails: 'ops@example.com' }, '"alarmEmails" in config/test.json must be a list of email addresses'],
    [{ alarmEmails: ['not-an-address'] }, '"alarmEmails"'],
    [{ rootAccessKeyId: 'AKID/EXAMPLE' }, '"rootAccessKeyId" in config/test.json must be at most 128 letters or digits'],
    [{ domainName: 'glacier.example.com' }, '"domainName" and "certificateArn" go together'],
    [
      { domainName: 'Glacier.Example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
      '"domainName" in config/test.json must be a lower-case domain name',
    ],
    [
      { domainName: 'glacier.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/abc' },
      '"certificateArn" in config/test.json must be the ARN of an ACM certificate',
    ],
    [{ hostedZoneId: 'Z0123456789' }, '"hostedZoneId" and "hostedZoneName" go together'],
    [{ hostedZoneId: 'Z0123456789', hostedZoneName: 'example.com' }, 'a hosted zone needs "domainName" or "dataDomainName"'],
    [{ dataDomainName: 'data.example.com' }, '"dataDomainName" and "dataCertificateArn" go together'],
    [{ dataCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }, '"dataDomainName" and "dataCertificateArn" go together'],
    [
      {
        dataDomainName: 'data.example.org',
        dataCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
        hostedZoneId: 'Z0123456789',
        hostedZoneName: 'example.com',
      },
      '"dataDomainName" data.example.org is not in the hosted zone example.com',
    ],
    [
      {
        domainName: 'glacier.example.com',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
        dataDomainName: 'glacier.example.com',
        dataCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      },
      '"dataDomainName" must differ from "domainName"',
    ],
    [{ dataPlaneMaxTasks: 0 }, '"dataPlaneMaxTasks" in config/test.json must be a whole number from 1 to 100'],
    [{ dataPlane: 'yes' }, '"dataPlane" in config/test.json must be true or false'],
    [
      {
        domainName: 'glacier.example.org',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
        hostedZoneId: 'Z0123456789',
        hostedZoneName: 'example.com',
      },
      '"domainName" glacier.example.org is not in the hosted zone example.com',
    ],
    [{ objectLock: 'LEGAL_HOLD', objectLockRetentionDays: 1 }, '"objectLock" in config/test.json must be one of GOVERNANCE, COMPLIANCE'],
    [{ objectLock: 'GOVERNANCE' }, '"objectLock" and "objectLockRetentionDays" go together'],
    [{ objectLockRetentionDays: 30 }, '"objectLock" and "objectLockRetentionDays" go together'],
    [{ objectLock: 'COMPLIANCE', objectLockRetentionDays: 30, removalPolicy: 'DESTROY' }, '"objectLock" needs "removalPolicy": "RETAIN"'],
  ])('refuse %j', (file, message) => {
    expect(() => parse(file)).toThrow(message);
  });

  it('take the data plane, its domain and its most tasks from the command line', () => {
    const data = { dataDomainName: 'data.example.com', dataCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' };
    expect(parse(data, { dataPlane: 'true', dataPlaneMaxTasks: '10' })).toMatchObject({ ...data, dataPlane: true, dataPlaneMaxTasks: 10 });
  });

  it('accept rates, crons and a domain at the apex of its zone', () => {
    for (const inventorySchedule of ['rate(1 minute)', 'rate(6 hours)', 'rate(2 days)', 'cron(0 3 * * ? *)', 'cron(15 2 ? * MON-FRI *)']) {
      expect(parse({ inventorySchedule }).inventorySchedule).toBe(inventorySchedule);
    }
    const apex = {
      domainName: 'example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      hostedZoneId: 'Z0123456789',
      hostedZoneName: 'example.com',
    };
    expect(parse(apex)).toMatchObject(apex);
  });
});

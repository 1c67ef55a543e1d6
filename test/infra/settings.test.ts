import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { STORAGE_CLASSES } from '../../lambda/config';
import { readSettings } from '../../lib/settings';

// Nothing is synthesised here; the shared outdir only keeps each App from making a directory of its own.
const outdir = mkdtempSync(join(tmpdir(), 'coldvault-settings-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
const settingsOf = (context: Record<string, string>) => readSettings(new App({ context, outdir }).node);

describe('stack settings from CDK context', () => {
  it('defaults to the dev environment, GLACIER and a root key ID derived from the environment', () => {
    expect(settingsOf({})).toEqual({ envName: 'dev', storageClass: 'GLACIER', rootAccessKeyId: 'AKIDCOLDVAULTDEV' });
  });

  it('derives the root key ID from letters and digits of the environment name only', () => {
    expect(settingsOf({ env: 'prod-eu1' }).rootAccessKeyId).toBe('AKIDCOLDVAULTPRODEU1');
  });

  it('takes every storage class the functions accept', () => {
    for (const storageClass of STORAGE_CLASSES) expect(settingsOf({ storageClass }).storageClass).toBe(storageClass);
  });

  it('takes an explicit root key ID', () => {
    expect(settingsOf({ rootAccessKeyId: 'AKIDEXAMPLE1234567' }).rootAccessKeyId).toBe('AKIDEXAMPLE1234567');
  });

  it('rejects an unknown storage class, an environment name unfit for a stack or stage, and a key ID with other characters', () => {
    expect(() => settingsOf({ storageClass: 'GLACIER_FLEXIBLE' })).toThrow(/"storageClass" must be one of GLACIER, DEEP_ARCHIVE/);
    expect(() => settingsOf({ env: 'my_env' })).toThrow(/env/);
    expect(() => settingsOf({ env: '1prod' })).toThrow(/env/);
    expect(() => settingsOf({ rootAccessKeyId: 'AKID/EXAMPLE' })).toThrow(/rootAccessKeyId/);
  });
});

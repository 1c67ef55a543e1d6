// The admin command as users run it (`node bin/coldvault-cli.js ...`), on a local data directory
// with a server running on it, and on one it opens itself.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVaultCommand, DescribeVaultCommand, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT } from '../support/accounts';
import { cli } from '../support/cli-process';

/** Runs the command, expects it to succeed, and returns its JSON output. */
async function ok<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const run = await cli(args);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return JSON.parse(run.stdout) as T;
}

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName?: string;
  status: string;
}

// Node 20 also gets the AWS SDK's warning about its Node version on stderr.
const lastLine = (text: string) => text.trim().split('\n').pop();

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: Error) => error.name,
  );

describe('admin command with a server running on the data directory', () => {
  let server: TestServer;
  let dataDir: string;
  let policyDir: string;
  const at = () => ['--data-dir', dataDir];

  beforeAll(async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    policyDir = mkdtempSync(join(tmpdir(), 'coldvault-policy-'));
  });

  afterAll(async () => {
    await server?.destroy();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  it('creates an account key that signs requests, lists keys without secrets, and revokes it', async () => {
    const key = await ok<Key>(['keys', 'create', '--account', ACCOUNT, ...at()]);
    expect(key).toEqual({
      accessKeyId: expect.stringMatching(/^AKCV[A-Z2-7]{16}$/),
      secretAccessKey: expect.any(String),
      accountId: ACCOUNT,
      createdDate: expect.any(String),
      status: 'Active',
    });
    const client = server.client({ credentials: key });
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'cli' }));
    const described = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'cli' }));
    expect(described.VaultARN).toBe(`arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/cli`);

    const listing = await cli(['keys', 'list', '--account', ACCOUNT, ...at()]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).not.toContain(key.secretAccessKey);
    const listed = JSON.parse(listing.stdout) as Record<string, unknown>[];
    expect(listed).toContainEqual({ accessKeyId: key.accessKeyId, accountId: ACCOUNT, createdDate: expect.any(String), status: 'Active' });
    expect(listed.every((entry) => !('secretAccessKey' in entry))).toBe(true);

    expect(await ok(['keys', 'revoke', key.accessKeyId, ...at()])).toEqual({ accessKeyId: key.accessKeyId, status: 'Revoked' });
    expect(await errorName(client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'cli' })))).toBe(
      'UnrecognizedClientException',
    );
    const after = await ok<Record<string, unknown>[]>(['keys', 'list', '--account', ACCOUNT, ...at()]);
    expect(after.find((entry) => entry.accessKeyId === key.accessKeyId)).toMatchObject({ status: 'Revoked' });
    client.destroy();

    const unknown = await cli(['keys', 'revoke', 'AKCVNOSUCHKEY0000000', ...at()]);
    expect({ code: unknown.code, stderr: lastLine(unknown.stderr) }).toEqual({ code: 2, stderr: 'No key AKCVNOSUCHKEY0000000' });
  });

  it('manages users and their policies; a deleted user’s keys are revoked', async () => {
    const readOnly = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['glacier:DescribeVault', 'glacier:ListVaults'], Resource: '*' }],
    });
    const everything = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'glacier:*', Resource: '*' }] });
    writeFileSync(join(policyDir, 'read-only.json'), readOnly);

    const user = await ok(['users', 'create', 'alice', '--account', ACCOUNT, '--policy', `@${join(policyDir, 'read-only.json')}`, ...at()]);
    expect(user).toEqual({ accountId: ACCOUNT, userName: 'alice', createdDate: expect.any(String), policy: readOnly });
    const key = await ok<Key>(['keys', 'create', '--account', ACCOUNT, '--user', 'alice', ...at()]);
    expect(key).toMatchObject({ accountId: ACCOUNT, userName: 'alice', status: 'Active' });

    const alice = server.client({ credentials: key });
    const vaults = await alice.send(new ListVaultsCommand({ accountId: '-' }));
    expect(vaults.VaultList?.map((vault) => vault.VaultName)).toContain('cli');
    expect(await errorName(alice.send(new CreateVaultCommand({ accountId: '-', vaultName: 'alices' })))).toBe('AccessDeniedException');

    expect(await ok(['users', 'put-policy', 'alice', '--account', ACCOUNT, '--policy', everything, ...at()])).toMatchObject({
      userName: 'alice',
      policy: everything,
    });
    await alice.send(new CreateVaultCommand({ accountId: '-', vaultName: 'alices' }));
    expect(await ok(['users', 'get', 'alice', '--account', ACCOUNT, ...at()])).toMatchObject({
      accountId: ACCOUNT,
      userName: 'alice',
      policy: everything,
    });
    await ok(['users', 'create', 'bob', '--account', ACCOUNT, ...at()]);
    const users = await ok<{ userName: string }[]>(['users', 'list', '--account', ACCOUNT, ...at()]);
    expect(users.map((entry) => entry.userName).sort()).toEqual(['alice', 'bob']);

    expect(await ok(['users', 'delete', 'alice', '--account', ACCOUNT, ...at()])).toEqual({
      accountId: ACCOUNT,
      userName: 'alice',
      deleted: true,
    });
    expect(await errorName(alice.send(new ListVaultsCommand({ accountId: '-' })))).toBe('UnrecognizedClientException');
    const keys = await ok<Record<string, unknown>[]>(['keys', 'list', '--account', ACCOUNT, ...at()]);
    expect(keys.find((entry) => entry.accessKeyId === key.accessKeyId)).toMatchObject({ userName: 'alice', status: 'Revoked' });
    alice.destroy();

    const gone = await cli(['users', 'get', 'alice', '--account', ACCOUNT, ...at()]);
    expect({ code: gone.code, stderr: lastLine(gone.stderr) }).toEqual({ code: 2, stderr: `No user alice in account ${ACCOUNT}` });
  });

  it('refuses a policy that is not a valid identity policy, and creates no user', async () => {
    const run = await cli(['users', 'create', 'carol', '--account', ACCOUNT, '--policy', '{"Statement":[{"Effect":"Maybe"}]}', ...at()]);
    expect(run.code).not.toBe(0);
    expect(lastLine(run.stderr)).toBe('Invalid policy: Statement[0].Effect must be "Allow" or "Deny", got "Maybe".');
    expect((await cli(['users', 'get', 'carol', '--account', ACCOUNT, ...at()])).code).toBe(2);
  });

  it('exits 2 with a clear message on a policy file it cannot read, and creates no user', async () => {
    const missing = join(policyDir, 'missing.json');
    const run = await cli(['users', 'create', 'dave', '--account', ACCOUNT, '--policy', `@${missing}`, ...at()]);
    expect({ code: run.code, stderr: lastLine(run.stderr) }).toEqual({
      code: 2,
      stderr: `Can't read the policy file ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    });
    expect((await cli(['users', 'get', 'dave', '--account', ACCOUNT, ...at()])).code).toBe(2);
  });

  it('refuses an empty --user rather than creating the account’s root key', async () => {
    const before = await ok<unknown[]>(['keys', 'list', '--account', ACCOUNT, ...at()]);
    const run = await cli(['keys', 'create', '--account', ACCOUNT, '--user', '', ...at()]);
    expect({ code: run.code, stdout: run.stdout, stderr: lastLine(run.stderr) }).toEqual({
      code: 2,
      stdout: '',
      stderr: '--user needs a user NAME',
    });
    expect(await ok<unknown[]>(['keys', 'list', '--account', ACCOUNT, ...at()])).toHaveLength(before.length);
  });

  it.each([
    ['no command', []],
    ['an unknown command', ['keys', 'rotate']],
    ['a missing name', ['users', 'get', '--account', ACCOUNT]],
  ])('exits 2 with the usage text on %s', async (_, args) => {
    const run = await cli([...args, ...at()]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toContain('usage: coldvault <command> [options]');
  });

  it('exits 2 on a bad account ID', async () => {
    const run = await cli(['keys', 'create', '--account', '12345', ...at()]);
    expect({ code: run.code, stderr: lastLine(run.stderr) }).toEqual({ code: 2, stderr: '--account must be a 12-digit account ID' });
  });
});

describe('admin command with no server running', () => {
  it('exits 2 with a clear message when the data directory is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldvault-admin-'));
    try {
      const file = join(dir, 'not-a-directory');
      writeFileSync(file, '');
      const run = await cli(['keys', 'list', '--data-dir', file]);
      expect({ code: run.code, stdout: run.stdout, stderr: lastLine(run.stderr) }).toEqual({
        code: 2,
        stdout: '',
        stderr: `Can't use ${file} as the data directory: EEXIST: file already exists, mkdir '${file}'`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens the data directory itself; a server started afterwards accepts the key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-admin-'));
    let server: TestServer | undefined;
    try {
      const key = await ok<Key>(['keys', 'create', '--account', ACCOUNT, '--data-dir', dataDir]);
      // The command let go of the directory: no lock and no server info left behind.
      expect(existsSync(join(dataDir, 'server.pid'))).toBe(false);

      server = await startTestServer({}, dataDir);
      const client = server.client({ credentials: key });
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'offline' }));
      const described = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'offline' }));
      expect(described.VaultARN).toBe(`arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/offline`);
      client.destroy();
    } finally {
      if (server) await server.destroy();
      else rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

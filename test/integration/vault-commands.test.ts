// `coldvault inventory` and `coldvault vaults empty`, run as users run them, on a local server's data directory.
import { ACCOUNT } from '../support/accounts';
import { randomBytes } from 'node:crypto';
import {
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateVaultLockCommand,
  UploadArchiveCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { cli } from '../support/cli-process';
import { failure, waitForJob } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';

let server: TestServer;
let glacier: GlacierClient;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  glacier = server.client();
});

afterAll(async () => {
  await server?.destroy();
});

async function vaultWith(vaultName: string, count: number): Promise<string[]> {
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const out = await glacier.send(
      new UploadArchiveCommand({ accountId: '-', vaultName, body: randomBytes(1000 + i), archiveDescription: `n${i}` }),
    );
    ids.push(out.archiveId as string);
  }
  return ids;
}

const describe_ = (vaultName: string) => glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName }));

it('inventory takes a vault inventory now: DescribeVault and inventory jobs see it', async () => {
  const ids = await vaultWith('fresh', 3);
  expect((await describe_('fresh')).NumberOfArchives ?? 0).toBe(0);
  const run = await cli(['inventory', '--account', ACCOUNT, '--vault', 'fresh', '--data-dir', server.dataDir]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^inventory: 123456789012\/fresh: 3 archives, 2\.9 KiB \(\d{4}-\d\d-\d\dT.*Z\)$/m);
  const vault = await describe_('fresh');
  expect({ count: vault.NumberOfArchives, size: vault.SizeInBytes }).toEqual({ count: 3, size: 3003 });

  const { jobId } = await glacier.send(
    new InitiateJobCommand({ accountId: '-', vaultName: 'fresh', jobParameters: { Type: 'inventory-retrieval' } }),
  );
  await waitForJob(glacier, 'fresh', jobId);
  const out = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'fresh', jobId }));
  const listed = JSON.parse(await (out.body as { transformToString(): Promise<string> }).transformToString()) as {
    ArchiveList: { ArchiveId: string }[];
  };
  expect(listed.ArchiveList.map((a) => a.ArchiveId).sort()).toEqual([...ids].sort());
});

it('vaults empty refuses without --yes and tells what it would delete; with --yes the vault deletes at once, and a completed job keeps its output', async () => {
  const [first] = await vaultWith('old-backups', 4);
  const { jobId } = await glacier.send(
    new InitiateJobCommand({ accountId: '-', vaultName: 'old-backups', jobParameters: { Type: 'archive-retrieval', ArchiveId: first } }),
  );
  await waitForJob(glacier, 'old-backups', jobId);

  const dry = await cli(['vaults', 'empty', 'old-backups', '--account', ACCOUNT, '--data-dir', server.dataDir]);
  expect(dry.code).toBe(2);
  expect(dry.stderr).toContain(
    'This would delete 4 archives (4006 bytes) from vault old-backups of account 123456789012. Run it again with --yes to delete them.',
  );
  const notYet = await failure(glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'old-backups' })));
  expect(notYet.name).toBe('InvalidParameterValueException');

  const run = await cli(['vaults', 'empty', 'old-backups', '--account', ACCOUNT, '--yes', '--data-dir', server.dataDir]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^progress: 4\/4 archives, 3\.9 KiB\/3\.9 KiB, .+, 0 jobs waiting, ETA 0s$/m);
  expect(run.stdout).toContain(
    'Deleted 4 archives (3.9 KiB) from vault old-backups; its inventory now shows 0 archives, so DeleteVault can delete it.',
  );
  // The job that completed before the delete serves its output for its 24 hours.
  const output = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'old-backups', jobId }));
  expect((await (output.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).length).toBe(1000);

  await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'old-backups' }));
  expect((await failure(describe_('old-backups'))).name).toBe('ResourceNotFoundException');
});

it('a Locked vault lock that denies DeleteArchive stops vaults empty with a clear message, and nothing is deleted', async () => {
  await vaultWith('compliance', 2);
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'no-deletes',
        Effect: 'Deny',
        Principal: '*',
        Action: 'glacier:DeleteArchive',
        Resource: `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/compliance`,
      },
    ],
  });
  const { lockId } = await glacier.send(
    new InitiateVaultLockCommand({ accountId: '-', vaultName: 'compliance', policy: { Policy: policy } }),
  );
  await glacier.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'compliance', lockId }));

  const run = await cli(['vaults', 'empty', 'compliance', '--account', ACCOUNT, '--yes', '--data-dir', server.dataDir]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("Refused: the vault's policies deny deleting archive");
  expect(run.stderr).toContain(
    `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: glacier:DeleteArchive on resource: arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/compliance with an explicit deny in a resource-based policy`,
  );
  const { items } = await server.services.metadata.listArchives(ACCOUNT, 'compliance');
  expect(items.filter((a) => !a.deletedDate)).toHaveLength(2);
});

import { randomBytes } from 'node:crypto';
import {
  AbortVaultLockCommand,
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultAccessPolicyCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  GlacierClient,
  InitiateVaultLockCommand,
  ListJobsCommand,
  ListVaultsCommand,
  SetVaultAccessPolicyCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { runAdmin } from '../../lambda/admin/cli';
import { clientWithNewKey, failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT as A, OTHER_ACCOUNT as B } from '../support/accounts';

let server: TestServer;
let root: GlacierClient;

const admin = (...args: string[]) => runAdmin([...args, '--data-dir', server.dataDir]);

const vaultArn = (account: string, name: string) => `arn:aws:glacier:us-east-1:${account}:vaults/${name}`;
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

beforeAll(async () => {
  server = await startTestServer();
  root = server.client();
});
afterAll(() => server.destroy());

it('an upload-only user can add archives and can never delete them', async () => {
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'backups' }));
  await admin(
    'users',
    'create',
    'uploader',
    '--account',
    A,
    '--policy',
    policy([
      {
        Effect: 'Allow',
        Action: [
          'glacier:UploadArchive',
          'glacier:InitiateMultipartUpload',
          'glacier:UploadMultipartPart',
          'glacier:CompleteMultipartUpload',
        ],
        Resource: vaultArn(A, 'backups'),
      },
    ]),
  );
  const uploader = await clientWithNewKey(server, A, 'uploader');
  const { archiveId } = await uploader.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'backups', body: randomBytes(100) }));
  expect(archiveId).toHaveLength(138);

  const denied = await failure(uploader.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'backups', archiveId })));
  expect(denied.name).toBe('AccessDeniedException');
  expect(denied.$metadata.httpStatusCode).toBe(403);
  expect(denied.message).toBe(
    `User: arn:aws:iam::${A}:user/uploader is not authorized to perform: glacier:DeleteArchive on resource: ${vaultArn(A, 'backups')}`,
  );
  expect((await failure(uploader.send(new ListVaultsCommand({ accountId: '-' })))).name).toBe('AccessDeniedException');
  expect((await failure(uploader.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'other', body: randomBytes(10) })))).name).toBe(
    'AccessDeniedException',
  );
  // The root key still may.
  await root.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'backups', archiveId }));
});

it('a user with no policy may do nothing, and a revoked key is refused', async () => {
  await admin('users', 'create', 'nobody', '--account', A);
  const nobody = await clientWithNewKey(server, A, 'nobody');
  expect((await failure(nobody.send(new ListVaultsCommand({ accountId: '-' })))).name).toBe('AccessDeniedException');

  const key = (await admin('keys', 'create', '--account', A)) as { accessKeyId: string; secretAccessKey: string };
  const second = server.client({ credentials: key });
  expect((await second.send(new ListVaultsCommand({ accountId: '-' }))).$metadata.httpStatusCode).toBe(200);
  await admin('keys', 'revoke', key.accessKeyId);
  expect((await failure(second.send(new ListVaultsCommand({ accountId: '-' })))).name).toBe('UnrecognizedClientException');
});

it('another account is refused until the vault policy allows it, then allowed exactly what it was granted', async () => {
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'shared' }));
  const other = await clientWithNewKey(server, B);
  await other.send(new CreateVaultCommand({ accountId: '-', vaultName: 'their-own' }));
  expect((await other.send(new ListVaultsCommand({ accountId: '-' }))).VaultList?.map((v) => v.VaultName)).toEqual(['their-own']);

  expect((await failure(other.send(new DescribeVaultCommand({ accountId: A, vaultName: 'shared' })))).name).toBe('AccessDeniedException');
  expect((await failure(other.send(new DescribeVaultCommand({ accountId: A, vaultName: 'no-such-vault' })))).name).toBe(
    'AccessDeniedException',
  );

  const grant = policy([
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${B}:root` },
      Action: ['glacier:DescribeVault', 'glacier:UploadArchive'],
      Resource: vaultArn(A, 'shared'),
    },
  ]);
  await root.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'shared', policy: { Policy: grant } }));
  const got = await root.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'shared' }));
  expect(got.policy?.Policy).toBe(grant);

  expect((await other.send(new DescribeVaultCommand({ accountId: A, vaultName: 'shared' }))).VaultARN).toBe(vaultArn(A, 'shared'));
  const { archiveId } = await other.send(new UploadArchiveCommand({ accountId: A, vaultName: 'shared', body: randomBytes(10) }));
  expect((await failure(other.send(new DeleteArchiveCommand({ accountId: A, vaultName: 'shared', archiveId })))).name).toBe(
    'AccessDeniedException',
  );
  expect((await failure(other.send(new ListJobsCommand({ accountId: A, vaultName: 'shared' })))).name).toBe('AccessDeniedException');
  expect((await failure(other.send(new ListVaultsCommand({ accountId: A })))).name).toBe('AccessDeniedException');

  await root.send(new DeleteVaultAccessPolicyCommand({ accountId: '-', vaultName: 'shared' }));
  expect((await failure(other.send(new DescribeVaultCommand({ accountId: A, vaultName: 'shared' })))).name).toBe('AccessDeniedException');
  expect((await failure(root.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'shared' })))).name).toBe(
    'ResourceNotFoundException',
  );
});

it('a locked vault refuses DeleteArchive for a young archive, even with the root key', async () => {
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'locked' }));
  const { archiveId } = await root.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'locked', body: randomBytes(10) }));
  const lockPolicy = policy([
    {
      Sid: 'no-early-deletes',
      Effect: 'Deny',
      Principal: '*',
      Action: 'glacier:DeleteArchive',
      Resource: vaultArn(A, 'locked'),
      Condition: { NumericLessThan: { 'glacier:ArchiveAgeInDays': '365' } },
    },
  ]);
  const { lockId } = await root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'locked', policy: { Policy: lockPolicy } }));
  expect(lockId).toBeTruthy();
  const inProgress = await root.send(new GetVaultLockCommand({ accountId: '-', vaultName: 'locked' }));
  expect(inProgress).toEqual(
    expect.objectContaining({
      Policy: lockPolicy,
      State: 'InProgress',
      CreationDate: expect.any(String),
      ExpirationDate: expect.any(String),
    }),
  );

  const wrong = await failure(root.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'locked', lockId: 'not-the-lock' })));
  expect(wrong.name).toBe('InvalidParameterValueException');
  await root.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'locked', lockId }));
  expect((await root.send(new GetVaultLockCommand({ accountId: '-', vaultName: 'locked' }))).State).toBe('Locked');

  const denied = await failure(root.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'locked', archiveId })));
  expect(denied.name).toBe('AccessDeniedException');
  expect(denied.message).toMatch(/explicit deny/);
  expect((await failure(root.send(new AbortVaultLockCommand({ accountId: '-', vaultName: 'locked' })))).name).toBe('AccessDeniedException');
  const again = await failure(
    root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'locked', policy: { Policy: lockPolicy } })),
  );
  expect(again.name).toBe('AccessDeniedException');
});

it('a lock in progress can be aborted; a vault with no lock answers 404', async () => {
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'trial' }));
  expect((await failure(root.send(new GetVaultLockCommand({ accountId: '-', vaultName: 'trial' })))).name).toBe(
    'ResourceNotFoundException',
  );
  await root.send(new AbortVaultLockCommand({ accountId: '-', vaultName: 'trial' }));
  const lock = policy([{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteVault', Resource: vaultArn(A, 'trial') }]);
  await root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'trial', policy: { Policy: lock } }));
  // Glacier: called while the lock is InProgress, InitiateVaultLock "returns an AccessDeniedException error".
  const busy = await failure(root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'trial', policy: { Policy: lock } })));
  expect(busy.name).toBe('AccessDeniedException');
  expect(busy.$metadata.httpStatusCode).toBe(403);
  // While in progress, its Deny already applies (that is how a lock is tested before it is final).
  expect((await failure(root.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'trial' })))).name).toBe('AccessDeniedException');
  await root.send(new AbortVaultLockCommand({ accountId: '-', vaultName: 'trial' }));
  expect((await failure(root.send(new GetVaultLockCommand({ accountId: '-', vaultName: 'trial' })))).name).toBe(
    'ResourceNotFoundException',
  );
  const bad = await failure(
    root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'trial', policy: { Policy: '{"Statement": "nope"' } })),
  );
  expect(bad.name).toBe('InvalidParameterValueException');
  expect(bad.message).toMatch(/policy/i);
});

it('CompleteVaultLock on a Locked vault: the lock ID that locked it succeeds again, any other is AccessDeniedException', async () => {
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'sealed' }));
  const lock = policy([{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteVault', Resource: vaultArn(A, 'sealed') }]);
  const { lockId } = await root.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'sealed', policy: { Policy: lock } }));
  await root.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'sealed', lockId }));

  await root.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'sealed', lockId }));
  const wrong = await failure(root.send(new CompleteVaultLockCommand({ accountId: '-', vaultName: 'sealed', lockId: 'not-the-lock' })));
  expect(wrong.name).toBe('AccessDeniedException');
  expect(wrong.$metadata.httpStatusCode).toBe(403);
  expect((await root.send(new GetVaultLockCommand({ accountId: '-', vaultName: 'sealed' }))).State).toBe('Locked');
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  AbortVaultLockCommand,
  AddTagsToVaultCommand,
  CompleteMultipartUploadCommand,
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultAccessPolicyCommand,
  DeleteVaultCommand,
  DeleteVaultNotificationsCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetDataRetrievalPolicyCommand,
  GetJobOutputCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  GetVaultNotificationsCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  InitiateVaultLockCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  ListProvisionedCapacityCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  PurchaseProvisionedCapacityCommand,
  RemoveTagsFromVaultCommand,
  SetDataRetrievalPolicyCommand,
  SetVaultAccessPolicyCommand,
  SetVaultNotificationsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { runAdmin } from '../../lambda/admin/cli';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { ROUTES } from '../../lambda/http/routes';
import { clientWithNewKey, failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { signedRequest } from '../support/signed-request';
import { ACCOUNT as A, OTHER_ACCOUNT as B } from '../support/accounts';

/** A vault name both accounts use: A's vault is created first, so only the account tells B's records apart. */
const TWIN = 'twin';
/** Exists in B only. */
const B_ONLY = 'b-only';
/** Exists nowhere. */
const GHOST = 'ghost';

let server: TestServer;
let rootA: GlacierClient;
let userA: GlacierClient;
let rootB: GlacierClient;

/** What B owns, which A must never reach. */
const b = {
  archive: randomBytes(3000),
  archiveId: '',
  part: randomBytes(MiB),
  uploadId: '',
  jobId: '',
  lockId: '',
  capacityId: '',
  topic: `arn:aws:sns:us-east-1:${B}:b-topic`,
  accessPolicy: '',
  lockPolicy: '',
};

const vaultArn = (account: string, name: string) => `arn:aws:glacier:us-east-1:${account}:vaults/${name}`;
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const admin = (...args: string[]) => runAdmin([...args, '--data-dir', server.dataDir]);
const bytesOf = async (body: unknown) =>
  Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

type Call = (client: GlacierClient, accountId: string, vaultName: string) => Promise<unknown>;

/** Every operation, aimed at a vault (or account) and carrying B's IDs wherever an operation takes one. */
const CALLS: Record<string, Call> = {
  ListVaults: (c, accountId) => c.send(new ListVaultsCommand({ accountId })),
  CreateVault: (c, accountId) => c.send(new CreateVaultCommand({ accountId, vaultName: `${GHOST}-created` })),
  DescribeVault: (c, accountId, vaultName) => c.send(new DescribeVaultCommand({ accountId, vaultName })),
  DeleteVault: (c, accountId, vaultName) => c.send(new DeleteVaultCommand({ accountId, vaultName })),
  UploadArchive: (c, accountId, vaultName) => c.send(new UploadArchiveCommand({ accountId, vaultName, body: randomBytes(10) })),
  DeleteArchive: (c, accountId, vaultName) => c.send(new DeleteArchiveCommand({ accountId, vaultName, archiveId: b.archiveId })),
  InitiateMultipartUpload: (c, accountId, vaultName) =>
    c.send(new InitiateMultipartUploadCommand({ accountId, vaultName, partSize: String(MiB) })),
  ListMultipartUploads: (c, accountId, vaultName) => c.send(new ListMultipartUploadsCommand({ accountId, vaultName })),
  UploadMultipartPart: (c, accountId, vaultName) =>
    c.send(
      new UploadMultipartPartCommand({
        accountId,
        vaultName,
        uploadId: b.uploadId,
        range: `bytes ${MiB}-${MiB + 9}/*`,
        body: randomBytes(10),
      }),
    ),
  CompleteMultipartUpload: (c, accountId, vaultName) =>
    c.send(
      new CompleteMultipartUploadCommand({
        accountId,
        vaultName,
        uploadId: b.uploadId,
        archiveSize: String(MiB),
        checksum: treeHash(b.part).toString('hex'),
      }),
    ),
  ListParts: (c, accountId, vaultName) => c.send(new ListPartsCommand({ accountId, vaultName, uploadId: b.uploadId })),
  AbortMultipartUpload: (c, accountId, vaultName) =>
    c.send(new AbortMultipartUploadCommand({ accountId, vaultName, uploadId: b.uploadId })),
  InitiateJob: (c, accountId, vaultName) =>
    c.send(new InitiateJobCommand({ accountId, vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: b.archiveId } })),
  ListJobs: (c, accountId, vaultName) => c.send(new ListJobsCommand({ accountId, vaultName })),
  DescribeJob: (c, accountId, vaultName) => c.send(new DescribeJobCommand({ accountId, vaultName, jobId: b.jobId })),
  GetJobOutput: (c, accountId, vaultName) => c.send(new GetJobOutputCommand({ accountId, vaultName, jobId: b.jobId })),
  SetVaultNotifications: (c, accountId, vaultName) =>
    c.send(
      new SetVaultNotificationsCommand({
        accountId,
        vaultName,
        vaultNotificationConfig: { SNSTopic: `arn:aws:sns:us-east-1:${A}:a-topic`, Events: ['ArchiveRetrievalCompleted'] },
      }),
    ),
  GetVaultNotifications: (c, accountId, vaultName) => c.send(new GetVaultNotificationsCommand({ accountId, vaultName })),
  DeleteVaultNotifications: (c, accountId, vaultName) => c.send(new DeleteVaultNotificationsCommand({ accountId, vaultName })),
  SetVaultAccessPolicy: (c, accountId, vaultName) =>
    c.send(
      new SetVaultAccessPolicyCommand({
        accountId,
        vaultName,
        policy: {
          Policy: policy([
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${A}:root` },
              Action: 'glacier:*',
              Resource: vaultArn(accountId, vaultName),
            },
          ]),
        },
      }),
    ),
  GetVaultAccessPolicy: (c, accountId, vaultName) => c.send(new GetVaultAccessPolicyCommand({ accountId, vaultName })),
  DeleteVaultAccessPolicy: (c, accountId, vaultName) => c.send(new DeleteVaultAccessPolicyCommand({ accountId, vaultName })),
  InitiateVaultLock: (c, accountId, vaultName) =>
    c.send(
      new InitiateVaultLockCommand({
        accountId,
        vaultName,
        policy: {
          Policy: policy([{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteArchive', Resource: vaultArn(accountId, vaultName) }]),
        },
      }),
    ),
  GetVaultLock: (c, accountId, vaultName) => c.send(new GetVaultLockCommand({ accountId, vaultName })),
  AbortVaultLock: (c, accountId, vaultName) => c.send(new AbortVaultLockCommand({ accountId, vaultName })),
  CompleteVaultLock: (c, accountId, vaultName) => c.send(new CompleteVaultLockCommand({ accountId, vaultName, lockId: b.lockId })),
  AddTagsToVault: (c, accountId, vaultName) => c.send(new AddTagsToVaultCommand({ accountId, vaultName, Tags: { owner: 'a' } })),
  RemoveTagsFromVault: (c, accountId, vaultName) => c.send(new RemoveTagsFromVaultCommand({ accountId, vaultName, TagKeys: ['owner'] })),
  ListTagsForVault: (c, accountId, vaultName) => c.send(new ListTagsForVaultCommand({ accountId, vaultName })),
  SetDataRetrievalPolicy: (c, accountId) =>
    c.send(new SetDataRetrievalPolicyCommand({ accountId, Policy: { Rules: [{ Strategy: 'FreeTier' }] } })),
  GetDataRetrievalPolicy: (c, accountId) => c.send(new GetDataRetrievalPolicyCommand({ accountId })),
  PurchaseProvisionedCapacity: (c, accountId) => c.send(new PurchaseProvisionedCapacityCommand({ accountId })),
  ListProvisionedCapacity: (c, accountId) => c.send(new ListProvisionedCapacityCommand({ accountId })),
};

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  rootA = server.client();
  await admin('users', 'create', 'operator', '--account', A, '--policy', policy([{ Effect: 'Allow', Action: 'glacier:*', Resource: '*' }]));
  userA = await clientWithNewKey(server, A, 'operator');
  rootB = await clientWithNewKey(server, B);

  await rootA.send(new CreateVaultCommand({ accountId: '-', vaultName: TWIN }));
  for (const vaultName of [TWIN, B_ONLY]) await rootB.send(new CreateVaultCommand({ accountId: '-', vaultName }));

  b.archiveId = (await rootB.send(new UploadArchiveCommand({ accountId: '-', vaultName: TWIN, body: b.archive }))).archiveId as string;
  b.uploadId = (await rootB.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: TWIN, partSize: String(MiB) })))
    .uploadId as string;
  await rootB.send(
    new UploadMultipartPartCommand({ accountId: '-', vaultName: TWIN, uploadId: b.uploadId, range: `bytes 0-${MiB - 1}/*`, body: b.part }),
  );
  b.jobId = (
    await rootB.send(
      new InitiateJobCommand({ accountId: '-', vaultName: TWIN, jobParameters: { Type: 'archive-retrieval', ArchiveId: b.archiveId } }),
    )
  ).jobId as string;
  // With no delay, describing the job completes it.
  expect((await rootB.send(new DescribeJobCommand({ accountId: '-', vaultName: TWIN, jobId: b.jobId }))).StatusCode).toBe('Succeeded');

  await rootB.send(
    new SetVaultNotificationsCommand({
      accountId: '-',
      vaultName: TWIN,
      vaultNotificationConfig: { SNSTopic: b.topic, Events: ['ArchiveRetrievalCompleted'] },
    }),
  );
  b.accessPolicy = policy([
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'glacier:DescribeVault', Resource: vaultArn(B, TWIN) },
  ]);
  await rootB.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: TWIN, policy: { Policy: b.accessPolicy } }));
  b.lockPolicy = policy([{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteVault', Resource: vaultArn(B, TWIN) }]);
  b.lockId = (await rootB.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: TWIN, policy: { Policy: b.lockPolicy } })))
    .lockId as string;
  await rootB.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: TWIN, Tags: { owner: 'b' } }));
  await rootB.send(
    new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 123456789 }] } }),
  );
  b.capacityId = (await rootB.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' }))).capacityId as string;
});
afterAll(() => server.destroy());

it('the table of calls covers every operation of the API', () => {
  expect(Object.keys(CALLS).sort()).toEqual(ROUTES.map((route) => route.operation).sort());
  expect(Object.keys(CALLS)).toHaveLength(33);
});

describe.each([
  ['root key', () => rootA],
  ['user allowed glacier:* on *', () => userA],
])("account A's %s", (_name, client) => {
  it.each([TWIN, B_ONLY, GHOST])(
    "is refused every operation on B's account (vault %s), whether or not the vault exists there",
    async (vaultName) => {
      for (const [operation, call] of Object.entries(CALLS)) {
        const error = await failure(call(client(), B, vaultName), operation);
        expect({ operation, name: error.name, status: error.$metadata.httpStatusCode }).toEqual({
          operation,
          name: 'AccessDeniedException',
          status: 403,
        });
      }
    },
  );

  it("reaches none of B's jobs, uploads or archives through its own vault of the same name", async () => {
    const notFound = [
      'DeleteArchive',
      'UploadMultipartPart',
      'CompleteMultipartUpload',
      'ListParts',
      'AbortMultipartUpload',
      'InitiateJob',
      'DescribeJob',
      'GetJobOutput',
    ];
    for (const operation of notFound) {
      const error = await failure(CALLS[operation](client(), '-', TWIN), operation);
      expect({ operation, name: error.name, status: error.$metadata.httpStatusCode }).toEqual({
        operation,
        name: 'ResourceNotFoundException',
        status: 404,
      });
    }
    // A lock ID that is not the vault's own lock's is a bad parameter, as for any wrong lock ID.
    const lock = await failure(CALLS.CompleteVaultLock(client(), '-', TWIN));
    expect([lock.name, lock.$metadata.httpStatusCode]).toEqual(['InvalidParameterValueException', 400]);
  });

  it("sees only its own vault, settings and account data under the same names, never B's", async () => {
    const c = client();
    const vault = await c.send(new DescribeVaultCommand({ accountId: '-', vaultName: TWIN }));
    expect(vault.VaultARN).toBe(vaultArn(A, TWIN));
    expect((await c.send(new ListVaultsCommand({ accountId: '-' }))).VaultList?.map((v) => v.VaultARN)).not.toContainEqual(
      expect.stringContaining(B),
    );
    expect((await c.send(new ListJobsCommand({ accountId: '-', vaultName: TWIN }))).JobList).toEqual([]);
    expect((await c.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: TWIN }))).UploadsList).toEqual([]);
    expect((await c.send(new ListTagsForVaultCommand({ accountId: '-', vaultName: TWIN }))).Tags).toEqual({});
    for (const operation of ['GetVaultNotifications', 'GetVaultAccessPolicy', 'GetVaultLock']) {
      const error = await failure(CALLS[operation](c, '-', TWIN), operation);
      expect({ operation, name: error.name }).toEqual({ operation, name: 'ResourceNotFoundException' });
    }
    const retrieval = await c.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }));
    expect(JSON.stringify(retrieval.Policy)).not.toContain('123456789');
    const capacity = await c.send(new ListProvisionedCapacityCommand({ accountId: '-' }));
    expect(capacity.ProvisionedCapacityList?.map((unit) => unit.CapacityId)).not.toContain(b.capacityId);
  });

  it("finds no vault named like B's that A lacks", async () => {
    // DeleteVault of a vault that does not exist succeeds (it is idempotent); B's vault of that name stays (checked below).
    expect((await client().send(new DeleteVaultCommand({ accountId: '-', vaultName: B_ONLY }))).$metadata.httpStatusCode).toBe(204);
    const accountLevel = [
      'ListVaults',
      'CreateVault',
      'DeleteVault',
      'SetDataRetrievalPolicy',
      'GetDataRetrievalPolicy',
      'PurchaseProvisionedCapacity',
      'ListProvisionedCapacity',
    ];
    for (const [operation, call] of Object.entries(CALLS)) {
      if (accountLevel.includes(operation)) continue;
      const error = await failure(call(client(), '-', B_ONLY), operation);
      expect({ operation, name: error.name, status: error.$metadata.httpStatusCode }).toEqual({
        operation,
        name: 'ResourceNotFoundException',
        status: 404,
      });
    }
  });
});

it("leaves everything of B's as it was", async () => {
  expect((await rootB.send(new ListVaultsCommand({ accountId: '-' }))).VaultList?.map((v) => v.VaultName)).toEqual([B_ONLY, TWIN]);
  const output = await rootB.send(new GetJobOutputCommand({ accountId: '-', vaultName: TWIN, jobId: b.jobId }));
  expect((await bytesOf(output.body)).equals(b.archive)).toBe(true);
  const parts = await rootB.send(new ListPartsCommand({ accountId: '-', vaultName: TWIN, uploadId: b.uploadId }));
  expect(parts.Parts).toEqual([{ RangeInBytes: `0-${MiB - 1}`, SHA256TreeHash: treeHash(b.part).toString('hex') }]);
  expect((await rootB.send(new ListJobsCommand({ accountId: '-', vaultName: TWIN }))).JobList?.map((job) => job.JobId)).toEqual([b.jobId]);
  const notifications = await rootB.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName: TWIN }));
  expect(notifications.vaultNotificationConfig).toEqual({ SNSTopic: b.topic, Events: ['ArchiveRetrievalCompleted'] });
  expect((await rootB.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName: TWIN }))).policy?.Policy).toBe(b.accessPolicy);
  expect(await rootB.send(new GetVaultLockCommand({ accountId: '-', vaultName: TWIN }))).toEqual(
    expect.objectContaining({ Policy: b.lockPolicy, State: 'InProgress' }),
  );
  expect((await rootB.send(new ListTagsForVaultCommand({ accountId: '-', vaultName: TWIN }))).Tags).toEqual({ owner: 'b' });
  expect((await rootB.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }))).Policy?.Rules).toEqual([
    { Strategy: 'BytesPerHour', BytesPerHour: 123456789 },
  ]);
  expect(
    (await rootB.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList?.map((unit) => unit.CapacityId),
  ).toEqual([b.capacityId]);
  // B's archive is still there: deleting it works (it would be 404 had A deleted it).
  expect(
    (await rootB.send(new DeleteArchiveCommand({ accountId: '-', vaultName: TWIN, archiveId: b.archiveId }))).$metadata.httpStatusCode,
  ).toBe(204);
});

describe('secrets are compared in constant time', () => {
  const read = (path: string) => readFileSync(join(__dirname, '../..', path), 'utf8');

  it('the signature and the vault lock ID are compared with timingSafeEqual, never with ==', () => {
    const helper = read('lambda/domain/constant-time.ts');
    expect(helper).toMatch(/import\s*\{[^}]*\btimingSafeEqual\b[^}]*\}\s*from\s*'node:crypto'/);
    expect(/export function sameSecret\([^)]*\)[^{]*\{([^}]*)\}/.exec(helper)?.[1]).toMatch(/\btimingSafeEqual\(/);

    const sigv4 = read('lambda/http/sigv4.ts');
    expect([...sigv4.matchAll(/if\s*\(\s*!\s*sameSecret\(\s*expected\s*,\s*auth\.signature\s*\)\s*\)/g)]).toHaveLength(1);
    for (const name of ['auth\\.signature', 'expected', 'signature']) {
      expect(sigv4).not.toMatch(new RegExp(`(?:[=!]==?|\\.equals\\(|localeCompare\\()\\s*${name}\\b|\\b${name}\\s*[=!]==?`));
    }
    const lock = read('lambda/domain/vault-lock.ts');
    expect(lock).toMatch(/sameSecret\(lock\.lockId, lockId\)/);
    expect(lock).not.toMatch(/lockId\s*[=!]==?|[=!]==?\s*lockId/);
  });

  it('a signature off by one hex digit is refused', async () => {
    const response = await signedRequest(server.url, {
      method: 'GET',
      path: '/-/vaults',
      tamper: ({ headers }) => {
        headers.authorization = headers.authorization.replace(
          /Signature=([0-9a-f]{63})([0-9a-f])/,
          (_m, head: string, last: string) => `Signature=${head}${last === '0' ? '1' : '0'}`,
        );
      },
    });
    expect(response.status).toBe(403);
    expect(response.json().code).toBe('InvalidSignatureException');
  });
});

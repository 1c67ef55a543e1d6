import {
  AddTagsToVaultCommand,
  CreateVaultCommand,
  GetDataRetrievalPolicyCommand,
  GlacierClient,
  InitiateJobCommand,
  ListProvisionedCapacityCommand,
  ListTagsForVaultCommand,
  PurchaseProvisionedCapacityCommand,
  RemoveTagsFromVaultCommand,
  SetDataRetrievalPolicyCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT as OWN_ACCOUNT } from '../support/accounts';

let server: TestServer;
let glacier: GlacierClient;
const VAULT = 'tagged';

const expectError = async (promise: Promise<unknown>, name: string, status: number, message?: string | RegExp) => {
  const error = await failure(promise);
  expect(error.name).toBe(name);
  expect(error.$metadata.httpStatusCode).toBe(status);
  if (message !== undefined) expect(error.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
};

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  glacier = server.client();
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
});
afterAll(() => server.destroy());

const listTags = async (vaultName = VAULT) => (await glacier.send(new ListTagsForVaultCommand({ accountId: '-', vaultName }))).Tags;

describe('vault tags', () => {
  it('adds, lists, replaces and removes tags', async () => {
    expect(await listTags()).toEqual({});
    const added = await glacier.send(
      new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT, Tags: { Owner: 'alice', Purpose: 'video', Empty: '' } }),
    );
    expect(added.$metadata.httpStatusCode).toBe(204);
    await glacier.send(new AddTagsToVaultCommand({ accountId: OWN_ACCOUNT, vaultName: VAULT, Tags: { Owner: 'bob' } }));
    expect(await listTags()).toEqual({ Owner: 'bob', Purpose: 'video', Empty: '' });

    const removed = await glacier.send(
      new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: VAULT, TagKeys: ['Purpose', 'absent'] }),
    );
    expect(removed.$metadata.httpStatusCode).toBe(204);
    expect(await listTags()).toEqual({ Owner: 'bob', Empty: '' });
    await glacier.send(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: VAULT, TagKeys: ['Owner', 'Empty'] }));
    expect(await listTags()).toEqual({});
  });

  it('edits tags whose keys look like numbers', async () => {
    await glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT, Tags: { b: '1', '10': 'ten', '2': 'two' } }));
    await glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT, Tags: { a: '0', '3': 'three' } }));
    await glacier.send(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: VAULT, TagKeys: ['10'] }));
    expect(await listTags()).toEqual({ a: '0', b: '1', '2': 'two', '3': 'three' });
    await glacier.send(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: VAULT, TagKeys: ['a', 'b', '2', '3'] }));
  });

  it('refuses a 51st tag with LimitExceededException', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'full' }));
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, `value${i}`]));
    await glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: 'full', Tags: fifty }));
    await expectError(
      glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: 'full', Tags: { more: 'x' } })),
      'LimitExceededException',
      400,
      /\(50\) would be exceeded/,
    );
    expect(Object.keys((await listTags('full')) ?? {})).toHaveLength(50);
  });

  it('answers the documented errors', async () => {
    await expectError(
      glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT, Tags: { 'aws:reserved': 'x' } })),
      'InvalidParameterValueException',
      400,
      'Invalid tag key: "aws:reserved". Tag keys starting with "aws:" are reserved for AWS.',
    );
    const notFound = 'Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/missing';
    await expectError(
      glacier.send(new ListTagsForVaultCommand({ accountId: '-', vaultName: 'missing' })),
      'ResourceNotFoundException',
      404,
      notFound,
    );
    await expectError(
      glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: 'missing', Tags: { a: 'b' } })),
      'ResourceNotFoundException',
      404,
      notFound,
    );
    await expectError(
      glacier.send(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: 'missing', TagKeys: ['a'] })),
      'ResourceNotFoundException',
      404,
      notFound,
    );
    await expectError(
      glacier.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT })),
      'MissingParameterValueException',
      400,
      'Required parameter missing: Tags',
    );
  });
});

describe('data retrieval policy', () => {
  const getPolicy = async () => (await glacier.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }))).Policy;
  const setPolicy = (Strategy: string, BytesPerHour?: number) =>
    glacier.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy, BytesPerHour }] } }));

  it('answers No Retrieval Limit before a policy is set, then the policy set', async () => {
    expect(await getPolicy()).toEqual({ Rules: [{ Strategy: 'None' }] });
    const set = await setPolicy('BytesPerHour', 10737418240);
    expect(set.$metadata.httpStatusCode).toBe(204);
    expect(await getPolicy()).toEqual({ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 10737418240 }] });
    await glacier.send(new SetDataRetrievalPolicyCommand({ accountId: OWN_ACCOUNT, Policy: { Rules: [{ Strategy: 'FreeTier' }] } }));
    expect(await getPolicy()).toEqual({ Rules: [{ Strategy: 'FreeTier' }] });
    await setPolicy('None');
  });

  it('refuses an invalid policy', async () => {
    await expectError(
      setPolicy('FreeTier', 5),
      'InvalidParameterValueException',
      400,
      /BytesPerHour is allowed only with the BytesPerHour strategy/,
    );
    await expectError(setPolicy('BytesPerHour', 0), 'InvalidParameterValueException', 400, /Invalid BytesPerHour: 0/);
    await expectError(setPolicy('Sometimes'), 'InvalidParameterValueException', 400, /Invalid Strategy/);
    await expectError(
      glacier.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [] } })),
      'InvalidParameterValueException',
      400,
      /exactly one rule/,
    );
    expect(await getPolicy()).toEqual({ Rules: [{ Strategy: 'None' }] });
  });

  it('refuses a Standard archive retrieval over the rate with PolicyEnforcedException', async () => {
    const { archiveId } = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: Buffer.alloc(8192, 7) }));
    const retrieve = (Tier?: string) =>
      glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: VAULT,
          jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier },
        }),
      );

    await setPolicy('BytesPerHour', 1024); // the archive counts 2,048 bytes in each of 4 hours
    await expectError(retrieve(), 'PolicyEnforcedException', 400, 'InitiateJob request denied by current data retrieval policy.');
    await expectError(retrieve('Standard'), 'PolicyEnforcedException', 400);
    expect((await retrieve('Expedited')).jobId).toBeTruthy();
    await setPolicy('None');
    expect((await retrieve()).jobId).toBeTruthy();
  });
});

describe('provisioned capacity', () => {
  it('purchases up to 2 units, lists them, and refuses a third with LimitExceededException', async () => {
    expect((await glacier.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList).toEqual([]);
    const before = Date.now();
    const first = await glacier.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' }));
    expect(first.$metadata.httpStatusCode).toBe(201);
    expect(first.capacityId).toMatch(/^[A-Za-z0-9]{24}$/);
    const second = await glacier.send(new PurchaseProvisionedCapacityCommand({ accountId: OWN_ACCOUNT }));
    await expectError(
      glacier.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' })),
      'LimitExceededException',
      400,
      /maximum number of provisioned capacity units \(2\)/,
    );

    const list = (await glacier.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList ?? [];
    expect(list.map((unit) => unit.CapacityId).sort()).toEqual([first.capacityId, second.capacityId].sort());
    for (const unit of list) {
      const start = new Date(unit.StartDate as string);
      const expiration = new Date(unit.ExpirationDate as string);
      expect(start.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(expiration.getUTCMilliseconds()).toBe(0);
      const nextMonth = (start.getUTCMonth() + 1) % 12;
      expect(expiration.getUTCMonth()).toBe(nextMonth);
      expect(expiration.getUTCSeconds()).toBe(start.getUTCSeconds());
    }
  });

  it("refuses account-level operations on another account's resources", async () => {
    await expectError(glacier.send(new PurchaseProvisionedCapacityCommand({ accountId: '210987654321' })), 'AccessDeniedException', 403);
    await expectError(glacier.send(new GetDataRetrievalPolicyCommand({ accountId: '210987654321' })), 'AccessDeniedException', 403);
  });
});

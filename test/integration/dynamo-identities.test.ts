import { DynamoIdentityStore } from '../../lambda/store/dynamo-identities';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/accounts';
import { identityStoreContract } from '../support/identity-store.contract';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-identities');
});
afterAll(() => dynamo?.close());

describe('DynamoIdentityStore on dynalite', () => {
  it("lists every user of an account, beyond one query page (1 MB), and no other account's", async () => {
    const store = new DynamoIdentityStore(dynamo.client, await dynamo.freshTable());
    // 120 users with a 12 KB policy each: about 1.4 MB, so DynamoDB answers in two pages.
    const statement = {
      Effect: 'Allow',
      Action: 'glacier:DescribeVault',
      Resource: `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/${'v'.repeat(100)}`,
    };
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: 70 }, () => statement) });
    expect(policy.length).toBeGreaterThan(12_000);
    const names = Array.from({ length: 120 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
    for (const userName of names) await store.putUser({ accountId: ACCOUNT, userName, policy, createdDate: '2026-01-01T00:00:00.000Z' });
    await store.putUser({ accountId: OTHER_ACCOUNT, userName: 'elsewhere', createdDate: '2026-01-01T00:00:00.000Z' });

    const users = await store.listUsers(ACCOUNT);
    expect(users.map((user) => user.userName)).toEqual(names);
    expect(users.every((user) => user.policy === policy)).toBe(true);
  });
});

describe('DynamoIdentityStore contract on dynalite', () => {
  identityStoreContract(async () => new DynamoIdentityStore(dynamo.client, await dynamo.freshTable()));
});

import { purchaseProvisionedCapacity } from '../../lambda/domain/capacity';
import { enforceRetrievalPolicy } from '../../lambda/domain/retrieval-policy';
import type { Services } from '../../lambda/domain/services';
import { DynamoAccountStore } from '../../lambda/store/dynamo-accounts';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { MemoryAccountStore, memoryServices } from '../support/memory-stores';
import { ACCOUNT as A } from '../support/accounts';
import { accountStoreContract } from '../support/account-store.contract';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-accounts');
});

afterAll(() => dynamo?.close());

describe('DynamoAccountStore on dynalite', () => {
  accountStoreContract(async () => new DynamoAccountStore(dynamo.client, await dynamo.freshTable()));
});

describe('MemoryAccountStore', () => {
  accountStoreContract(async () => new MemoryAccountStore());
});

describe('the account domain on DynamoDB', () => {
  let svc: Services;
  beforeEach(async () => {
    svc = { ...memoryServices(), accounts: new DynamoAccountStore(dynamo.client, await dynamo.freshTable()) };
  });

  it('keeps the provisioned capacity limit under concurrent purchases', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => purchaseProvisionedCapacity(svc, A)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(await svc.accounts.getAccountSetting(A, 'capacity')).toHaveLength(2);
  });

  it('keeps the retrieval rate under concurrent retrievals', async () => {
    await svc.accounts.setAccountSetting(A, 'retrievalPolicy', { strategy: 'BytesPerHour', bytesPerHour: 1000 });
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => enforceRetrievalPolicy(svc, A, 'Standard', 1000)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(4);
    expect((await svc.accounts.getAccountSetting(A, 'retrievalLedger'))?.map((entry) => entry.bytes)).toEqual([1000, 1000, 1000, 1000]);
  });
});

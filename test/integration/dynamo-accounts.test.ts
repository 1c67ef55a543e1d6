import { purchaseProvisionedCapacity } from '../../lambda/domain/capacity';
import { enforceRetrievalPolicy } from '../../lambda/domain/retrieval-policy';
import type { Services } from '../../lambda/domain/services';
import type { AccountStore } from '../../lambda/domain/account-ports';
import { DynamoAccountStore } from '../../lambda/store/dynamo-accounts';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { MemoryAccountStore, memoryServices } from '../support/memory-stores';
import { ACCOUNT as A, OTHER_ACCOUNT as B } from '../support/accounts';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-accounts');
});

afterAll(() => dynamo?.close());

const UNIT = { capacityId: 'c1', startDate: '2024-06-10T08:15:30.250Z', expirationDate: '2024-07-10T08:15:30.000Z' };

/** What the domain relies on from an AccountStore, for the adapter and the fake alike. */
function accountStoreContract(make: () => Promise<AccountStore>) {
  let store: AccountStore;
  beforeEach(async () => {
    store = await make();
  });

  it('reads back what was set, per account and per setting', async () => {
    expect(await store.getAccountSetting(A, 'retrievalPolicy')).toBeUndefined();
    expect(await store.setAccountSetting(A, 'retrievalPolicy', { strategy: 'BytesPerHour', bytesPerHour: 10737418240 })).toBe(true);
    expect(await store.setAccountSetting(A, 'capacity', [UNIT])).toBe(true);
    expect(await store.getAccountSetting(A, 'retrievalPolicy')).toEqual({ strategy: 'BytesPerHour', bytesPerHour: 10737418240 });
    expect(await store.getAccountSetting(A, 'capacity')).toEqual([UNIT]);
    expect(await store.getAccountSetting(B, 'retrievalPolicy')).toBeUndefined();
    expect(await store.setAccountSetting(A, 'retrievalPolicy', { strategy: 'FreeTier' })).toBe(true);
    expect(await store.getAccountSetting(A, 'retrievalPolicy')).toEqual({ strategy: 'FreeTier' });
  });

  it('creates only if absent when expected is null', async () => {
    expect(await store.setAccountSetting(A, 'capacity', [UNIT], null)).toBe(true);
    expect(await store.setAccountSetting(A, 'capacity', [], null)).toBe(false);
    expect(await store.getAccountSetting(A, 'capacity')).toEqual([UNIT]);
  });

  it('replaces only the expected value', async () => {
    const ledger = [
      { hour: 476_050, bytes: 1000 },
      { hour: 476_051, bytes: 1000 },
    ];
    await store.setAccountSetting(A, 'retrievalLedger', ledger);
    const read = await store.getAccountSetting(A, 'retrievalLedger');
    const next = [...ledger, { hour: 476_052, bytes: 5 }];
    expect(await store.setAccountSetting(A, 'retrievalLedger', next, [{ hour: 476_050, bytes: 999 }])).toBe(false);
    expect(await store.setAccountSetting(A, 'retrievalLedger', next, read)).toBe(true);
    expect(await store.setAccountSetting(A, 'retrievalLedger', [], read)).toBe(false);
    expect(await store.getAccountSetting(A, 'retrievalLedger')).toEqual(next);
  });

  it('removes a setting, conditionally too', async () => {
    await store.setAccountSetting(A, 'capacity', [UNIT]);
    expect(await store.setAccountSetting(A, 'capacity', undefined, [])).toBe(false);
    expect(await store.setAccountSetting(A, 'capacity', undefined, [UNIT])).toBe(true);
    expect(await store.getAccountSetting(A, 'capacity')).toBeUndefined();
    expect(await store.setAccountSetting(A, 'capacity', [UNIT], null)).toBe(true);
    expect(await store.setAccountSetting(A, 'capacity', undefined)).toBe(true);
    expect(await store.getAccountSetting(A, 'capacity')).toBeUndefined();
  });

  it('lets exactly one of concurrent compare-and-set writes of the same value win', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.setAccountSetting(A, 'capacity', [{ ...UNIT, capacityId: `c${i}` }], null)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
}

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

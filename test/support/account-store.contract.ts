// The behaviour every AccountStore must have: run against the in-memory fake, the DynamoDB
// adapter on dynalite and the LMDB adapter.
import type { AccountStore } from '../../lambda/domain/account-ports';

import { ACCOUNT as A, OTHER_ACCOUNT as B } from './accounts';
const UNIT = { capacityId: 'c1', startDate: '2024-06-10T08:15:30.250Z', expirationDate: '2024-07-10T08:15:30.000Z' };

/** What the domain relies on from an AccountStore, for the adapter and the fake alike. */
export function accountStoreContract(make: () => Promise<AccountStore>) {
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

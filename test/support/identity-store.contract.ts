// The behaviour every IdentityStore must have: run against the DynamoDB adapter on dynalite,
// the LMDB adapter, and each of them wrapped so that secrets are sealed.
import type { AccessKeyRecord, IdentityStore } from '../../lambda/domain/ports';

import { ACCOUNT as A, OTHER_ACCOUNT as B } from './accounts';

const key = (accessKeyId: string, overrides: Partial<AccessKeyRecord> = {}): AccessKeyRecord => ({
  accessKeyId,
  secretAccessKey: `secret-of-${accessKeyId}/+=`,
  accountId: A,
  createdDate: '2026-01-01T00:00:00.000Z',
  status: 'Active',
  ...overrides,
});

export function identityStoreContract(make: () => Promise<IdentityStore>): void {
  let store: IdentityStore;
  beforeEach(async () => {
    store = await make();
  });

  it('stores a key and gives back its secret; looks up only active keys', async () => {
    expect(await store.getKey('AKID1')).toBeUndefined();
    expect(await store.lookup('AKID1')).toBeUndefined();
    await store.putKey(key('AKID1'));
    await store.putKey(key('AKID2', { userName: 'alice' }));
    expect(await store.getKey('AKID1')).toEqual(key('AKID1'));
    expect(await store.lookup('AKID1')).toEqual({ accountId: A, secretAccessKey: 'secret-of-AKID1/+=' });
    expect(await store.lookup('AKID2')).toEqual({ accountId: A, secretAccessKey: 'secret-of-AKID2/+=', userName: 'alice' });
    expect(await store.revokeKey('AKID1')).toBe(true);
    expect(await store.lookup('AKID1')).toBeUndefined();
    expect(await store.getKey('AKID1')).toEqual(key('AKID1', { status: 'Revoked' }));
    expect(await store.revokeKey('AKIDNONE')).toBe(false);
  });

  it('lists keys in creation order, of one account or of all', async () => {
    await store.putKey(key('AKIDB', { createdDate: '2026-01-02T00:00:00.000Z' }));
    await store.putKey(key('AKIDA', { createdDate: '2026-01-03T00:00:00.000Z' }));
    await store.putKey(key('AKIDC', { accountId: B, createdDate: '2026-01-01T00:00:00.000Z' }));
    expect((await store.listKeys(A)).map((k) => k.accessKeyId)).toEqual(['AKIDB', 'AKIDA']);
    expect((await store.listKeys()).map((k) => k.accessKeyId)).toEqual(['AKIDC', 'AKIDB', 'AKIDA']);
    expect((await store.listKeys()).map((k) => k.secretAccessKey)).toEqual(['AKIDC', 'AKIDB', 'AKIDA'].map((id) => `secret-of-${id}/+=`));
  });

  it('stores, replaces, lists and deletes users per account', async () => {
    const created = '2026-01-01T00:00:00.000Z';
    await store.putUser({ accountId: A, userName: 'bob', createdDate: created });
    await store.putUser({ accountId: A, userName: 'alice', createdDate: created, policy: '{"Statement":[]}' });
    await store.putUser({ accountId: B, userName: 'carol', createdDate: created });
    expect(await store.getUser(A, 'alice')).toEqual({ accountId: A, userName: 'alice', createdDate: created, policy: '{"Statement":[]}' });
    expect(await store.getUser(B, 'alice')).toBeUndefined();
    expect((await store.listUsers(A)).map((u) => u.userName)).toEqual(['alice', 'bob']);
    await store.putUser({ accountId: A, userName: 'bob', createdDate: created, policy: '{}' });
    expect((await store.getUser(A, 'bob'))?.policy).toBe('{}');
    expect(await store.deleteUser(A, 'bob')).toBe(true);
    expect(await store.deleteUser(A, 'bob')).toBe(false);
    expect((await store.listUsers(A)).map((u) => u.userName)).toEqual(['alice']);
  });
}

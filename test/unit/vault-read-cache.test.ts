import { cachingVaultReads } from '../../lambda/domain/vault-read-cache';
import { MemoryMetadataStore } from '../support/memory-stores';
import { ACCOUNT } from '../support/accounts';

function counted() {
  const store = new MemoryMetadataStore();
  let reads = 0;
  const getVault = store.getVault.bind(store);
  store.getVault = async (accountId, vaultName) => {
    reads += 1;
    return getVault(accountId, vaultName);
  };
  return { store, reads: () => reads };
}

it('answers repeated reads of a vault from the first read', async () => {
  const { store, reads } = counted();
  await store.createVault({ accountId: ACCOUNT, vaultName: 'v', creationDate: '2024-01-01T00:00:00.000Z' });
  const view = cachingVaultReads(store);
  const first = await view.getVault(ACCOUNT, 'v');
  const second = await view.getVault(ACCOUNT, 'v');
  expect(second).toEqual(first);
  expect(second).not.toBe(first);
  expect(reads()).toBe(1);
  await view.getVault(ACCOUNT, 'other');
  expect(reads()).toBe(2);
});

it('forgets what it read once the request writes, so the request sees its own writes', async () => {
  const { store, reads } = counted();
  await store.createVault({ accountId: ACCOUNT, vaultName: 'v', creationDate: '2024-01-01T00:00:00.000Z' });
  const view = cachingVaultReads(store);
  expect((await view.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBeUndefined();
  await view.listArchives(ACCOUNT, 'v');
  await view.getVault(ACCOUNT, 'v');
  expect(reads()).toBe(1);
  expect(await view.recordVaultWrite(ACCOUNT, 'v', 1234)).toBe('2024-01-01T00:00:00.000Z');
  expect((await view.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(1234);
  expect(reads()).toBe(2);
});

it('does not keep a failed read', async () => {
  const store = new MemoryMetadataStore();
  let fail = true;
  const getVault = store.getVault.bind(store);
  store.getVault = async (accountId, vaultName) => {
    if (fail) throw new Error('store down');
    return getVault(accountId, vaultName);
  };
  const view = cachingVaultReads(store);
  await expect(view.getVault(ACCOUNT, 'v')).rejects.toThrow('store down');
  fail = false;
  await expect(view.getVault(ACCOUNT, 'v')).resolves.toBeUndefined();
});

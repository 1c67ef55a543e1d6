import type { MetadataStore, VaultRecord } from './ports';

/** The store's other reads; every other method may write, and clears what was read. */
const READS = new Set<PropertyKey>(['countVaults', 'listVaults', 'scanVaults', 'getArchive', 'listArchives', 'getInventoryChunk']);

/**
 * A request reads its vault twice: to authorize, then in the operation. This view of the
 * store answers the second read from the first, and forgets everything it read as soon as
 * the request writes anything, so a request always sees its own writes.
 */
export function cachingVaultReads(store: MetadataStore): MetadataStore {
  const vaults = new Map<string, Promise<VaultRecord | undefined>>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver) as unknown;
      if (typeof member !== 'function') return member;
      if (property === 'getVault') {
        return (accountId: string, vaultName: string) => {
          const key = `${accountId}/${vaultName}`;
          let read = vaults.get(key);
          if (!read) {
            read = (member as MetadataStore['getVault']).call(target, accountId, vaultName);
            vaults.set(key, read);
            read.catch(() => vaults.delete(key));
          }
          return read.then((vault) => vault && structuredClone(vault));
        };
      }
      return (...args: unknown[]) => {
        if (!READS.has(property)) vaults.clear();
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

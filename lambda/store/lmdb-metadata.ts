import type {
  ArchiveRecord,
  DeleteArchiveOutcome,
  DeleteVaultOutcome,
  InventoryEntry,
  InventorySummary,
  MetadataStore,
  Page,
  VaultRecord,
  VaultSettings,
} from '../domain/ports';
import { cursorOf, entriesUnder, keyOf, pad, take, type LmdbEnv } from './lmdb-env';

export interface LmdbMetadataOptions {
  /** Archives per listArchives page. */
  archivePageSize?: number;
  /** Vaults per scanVaults page. */
  vaultPageSize?: number;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Vaults, archive records and inventory chunks, in LMDB (keys: account, vault, ...). */
export class LmdbMetadataStore implements MetadataStore {
  private readonly vaults;
  private readonly archives;
  private readonly chunks;
  private readonly archivePageSize: number;
  private readonly vaultPageSize: number;

  constructor(
    private readonly env: LmdbEnv,
    options: LmdbMetadataOptions = {},
  ) {
    this.vaults = env.db<VaultRecord>('vaults');
    this.archives = env.db<ArchiveRecord>('archives');
    this.chunks = env.db<InventoryEntry[]>('inventory-chunks');
    this.archivePageSize = options.archivePageSize ?? 1000;
    this.vaultPageSize = options.vaultPageSize ?? 100;
  }

  async getVault(accountId: string, vaultName: string): Promise<VaultRecord | undefined> {
    return this.vaults.get([accountId, vaultName]);
  }

  createVault(vault: VaultRecord): Promise<boolean> {
    return this.env.write(() => {
      const key = [vault.accountId, vault.vaultName];
      if (this.vaults.doesExist(key)) return false;
      // A new vault starts with no writes and no inventory.
      this.vaults.putSync(key, { accountId: vault.accountId, vaultName: vault.vaultName, creationDate: vault.creationDate });
      return true;
    });
  }

  async countVaults(accountId: string): Promise<number> {
    return this.vaults.getKeysCount({ start: [accountId], end: [accountId, '\uffff'] });
  }

  async listVaults(accountId: string, startAfter: string | undefined, limit: number): Promise<Page<VaultRecord>> {
    const after = startAfter === undefined ? undefined : [accountId, startAfter];
    const { items, more } = take(entriesUnder(this.vaults, [accountId], after), limit);
    return { items: items.map((entry) => entry.value), cursor: more ? items[items.length - 1]?.value.vaultName : undefined };
  }

  async scanVaults(cursor?: string): Promise<Page<VaultRecord>> {
    const { items, more } = take(entriesUnder(this.vaults, [], keyOf(cursor)), this.vaultPageSize);
    const last = items[items.length - 1];
    return { items: items.map((entry) => entry.value), cursor: more && last ? cursorOf(last.key) : undefined };
  }

  deleteVaultIfIdle(accountId: string, vaultName: string): Promise<DeleteVaultOutcome> {
    return this.env.write(() => {
      const vault = this.vaults.get([accountId, vaultName]);
      if (!vault) return 'absent';
      const idle =
        vault.lastWriteMs === undefined ||
        (vault.inventory !== undefined && vault.inventory.numberOfArchives === 0 && vault.lastWriteMs < vault.inventory.asOfMs);
      if (!idle) return 'not-empty';
      this.vaults.removeSync([accountId, vaultName]);
      return 'deleted';
    });
  }

  recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<string | undefined> {
    return this.env.write(() => {
      const vault = this.vaults.get([accountId, vaultName]);
      if (!vault) return undefined;
      this.vaults.putSync([accountId, vaultName], { ...vault, lastWriteMs: atMs });
      return vault.creationDate;
    });
  }

  setVaultSetting<K extends keyof VaultSettings>(
    accountId: string,
    vaultName: string,
    name: K,
    value: VaultSettings[K] | undefined,
    expected?: VaultSettings[K] | null,
  ): Promise<boolean> {
    return this.updateVault(accountId, vaultName, (vault) => {
      if (expected === null && vault[name] !== undefined) return false;
      if (expected !== undefined && expected !== null && !same(vault[name], expected)) return false;
      if (value === undefined) delete vault[name];
      else vault[name] = value;
      return true;
    });
  }

  /** Changes a vault in one transaction; `change` returns false to write nothing. False if there is no vault. */
  private updateVault(accountId: string, vaultName: string, change: (vault: VaultRecord) => boolean): Promise<boolean> {
    return this.env.write(() => {
      const vault = this.vaults.get([accountId, vaultName]);
      if (!vault || !change(vault)) return false;
      this.vaults.putSync([accountId, vaultName], vault);
      return true;
    });
  }

  createArchive(archive: ArchiveRecord): Promise<boolean> {
    return this.env.write(() => {
      const key = [archive.accountId, archive.vaultName, archive.archiveId];
      if (this.archives.doesExist(key)) return false;
      // Deletion is only ever recorded by markArchiveDeleted.
      const stored = { ...archive };
      delete stored.deletedDate;
      this.archives.putSync(key, stored);
      return true;
    });
  }

  async getArchive(accountId: string, vaultName: string, archiveId: string): Promise<ArchiveRecord | undefined> {
    return this.archives.get([accountId, vaultName, archiveId]);
  }

  markArchiveDeleted(accountId: string, vaultName: string, archiveId: string, date: string): Promise<DeleteArchiveOutcome> {
    return this.env.write(() => {
      const key = [accountId, vaultName, archiveId];
      const archive = this.archives.get(key);
      if (!archive) return 'absent';
      if (archive.deletedDate) return 'already-deleted';
      this.archives.putSync(key, { ...archive, deletedDate: date });
      return 'deleted';
    });
  }

  async listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>> {
    const after = cursor === undefined ? undefined : [accountId, vaultName, cursor];
    const { items } = take(entriesUnder(this.archives, [accountId, vaultName], after), this.archivePageSize);
    // Like a DynamoDB query with a Limit: a full page always carries a cursor, even if nothing follows.
    const full = items.length === this.archivePageSize;
    return { items: items.map((entry) => entry.value), cursor: full ? items[items.length - 1].value.archiveId : undefined };
  }

  async putInventoryChunk(
    accountId: string,
    vaultName: string,
    inventoryId: string,
    index: number,
    entries: InventoryEntry[],
  ): Promise<void> {
    await this.env.write(() => this.chunks.putSync([accountId, vaultName, inventoryId, pad(index, 10)], entries));
  }

  async getInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number): Promise<InventoryEntry[] | undefined> {
    return this.chunks.get([accountId, vaultName, inventoryId, pad(index, 10)]);
  }

  async deleteInventoryChunks(accountId: string, vaultName: string, inventoryId: string, count: number): Promise<void> {
    await this.env.write(() => {
      for (let index = 0; index < count; index += 1) this.chunks.removeSync([accountId, vaultName, inventoryId, pad(index, 10)]);
    });
  }

  commitInventory(vault: VaultRecord, summary: InventorySummary): Promise<{ replaced?: InventorySummary } | false> {
    return this.env.write(() => {
      const key = [vault.accountId, vault.vaultName];
      const current = this.vaults.get(key);
      if (!current || current.creationDate !== vault.creationDate) return false;
      if (current.inventory && current.inventory.asOfMs >= summary.asOfMs) return false;
      this.vaults.putSync(key, { ...current, inventory: summary });
      return { replaced: current.inventory };
    });
  }
}

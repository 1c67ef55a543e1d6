// The metadata store's items: vaults (with their settings and latest inventory summary),
// archives and inventory chunks, and their keys (layout in table-schema.ts).
import { TABLE_KEYS as K } from './table-schema';
import { fromItem, pad, toItem, type Item, type KeyRow } from './dynamo-items';
import type { ArchiveLayout, ArchiveRecord, VaultRecord, VaultSettings } from '../domain/ports';

const VAULT_SETTINGS: readonly (keyof VaultSettings)[] = ['notifications', 'tags', 'accessPolicy', 'lock'];

/** A vault's item: its settings as JSON text, its latest inventory's summary in the inv* attributes. */
export type VaultItem = KeyRow & { creationDate: string; lastWriteMs?: number } & { [name in keyof VaultSettings]?: string } & {
  invId?: string;
  invDate?: string;
  invAsOfMs?: number;
  invCount?: number;
  invSize?: number;
  invChunks?: number;
};

export interface ArchiveItem extends KeyRow {
  description?: string;
  size: number;
  treeHash: string;
  creationDate: string;
  /** JSON text of the ArchiveLayout. */
  layout: string;
  deletedDate?: string;
}

export const vaultKey = (accountId: string, vaultName: string): Item =>
  toItem({ [K.partitionKey]: `A#${accountId}`, [K.sortKey]: `V#${vaultName}` } satisfies KeyRow);
export const archivePk = (accountId: string, vaultName: string) => `R#${accountId}#${vaultName}`;
export const archiveKey = (accountId: string, vaultName: string, archiveId: string): Item =>
  toItem({ [K.partitionKey]: archivePk(accountId, vaultName), [K.sortKey]: archiveId } satisfies KeyRow);
export const chunkRow = (accountId: string, vaultName: string, inventoryId: string, index: number): KeyRow => ({
  [K.partitionKey]: `I#${accountId}#${vaultName}`,
  [K.sortKey]: `${inventoryId}#${pad(index, 6)}`,
});

export function toVault(item: Item): VaultRecord {
  const row = fromItem<VaultItem>(item);
  const vault: VaultRecord = {
    accountId: row[K.partitionKey].slice(2),
    vaultName: row[K.sortKey].slice(2),
    creationDate: row.creationDate,
  };
  if (row.lastWriteMs !== undefined) vault.lastWriteMs = row.lastWriteMs;
  for (const name of VAULT_SETTINGS) {
    const value = row[name];
    if (value !== undefined) Object.assign(vault, { [name]: JSON.parse(value) as unknown });
  }
  if (row.invId !== undefined) {
    vault.inventory = {
      id: row.invId,
      date: row.invDate as string,
      asOfMs: row.invAsOfMs as number,
      numberOfArchives: row.invCount as number,
      sizeInBytes: row.invSize as number,
      chunks: row.invChunks as number,
    };
  }
  return vault;
}

export function toArchive(accountId: string, vaultName: string, item: Item): ArchiveRecord {
  const row = fromItem<ArchiveItem>(item);
  const archive: ArchiveRecord = {
    accountId,
    vaultName,
    archiveId: row[K.sortKey],
    description: row.description ?? '',
    size: row.size,
    treeHash: row.treeHash,
    creationDate: row.creationDate,
    layout: JSON.parse(row.layout) as ArchiveLayout,
  };
  if (row.deletedDate) archive.deletedDate = row.deletedDate;
  return archive;
}

import { belongsTo } from './archives';
import { newInventoryId } from './ids';
import type { Services } from './services';
import type { InventoryEntry, InventorySummary, VaultRecord } from '../store/ports';

/** A chunk of the snapshot is flushed once its JSON passes this size (DynamoDB items hold 400 KB). */
export const INVENTORY_CHUNK_BYTES = 256 * 1024;
/** How long a replaced inventory snapshot is kept for jobs that are reading it. */
export const REPLACED_INVENTORY_GRACE_MS = 60 * 60 * 1000;

/**
 * Takes a vault's inventory: pages through its archives (memory stays flat however large
 * the vault), writes the snapshot in chunks, then points the vault at it and removes the
 * snapshot it replaced. Writes from the start of the scan on are not counted as seen.
 */
export async function inventoryVault(svc: Services, vault: VaultRecord): Promise<InventorySummary | undefined> {
  const started = svc.now();
  const summary: InventorySummary = {
    id: newInventoryId(started),
    date: started.toISOString(),
    asOfMs: started.getTime(),
    numberOfArchives: 0,
    sizeInBytes: 0,
    chunks: 0,
  };
  let chunk: InventoryEntry[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await svc.metadata.putInventoryChunk(vault.accountId, vault.vaultName, summary.id, summary.chunks, chunk);
    summary.chunks += 1;
    chunk = [];
    chunkBytes = 0;
  };

  let cursor: string | undefined;
  do {
    const page = await svc.metadata.listArchives(vault.accountId, vault.vaultName, cursor);
    for (const archive of page.items) {
      if (archive.deletedDate || !belongsTo(archive, vault)) continue;
      const entry: InventoryEntry = {
        ArchiveId: archive.archiveId,
        ArchiveDescription: archive.description,
        CreationDate: archive.creationDate,
        Size: archive.size,
        SHA256TreeHash: archive.treeHash,
      };
      summary.numberOfArchives += 1;
      summary.sizeInBytes += archive.size;
      chunk.push(entry);
      chunkBytes += JSON.stringify(entry).length;
      if (chunkBytes >= INVENTORY_CHUNK_BYTES) await flush();
    }
    cursor = page.cursor;
  } while (cursor);
  await flush();

  const committed = await svc.metadata.commitInventory(vault, summary);
  if (!committed) {
    await svc.metadata.deleteInventoryChunks(vault.accountId, vault.vaultName, summary.id, summary.chunks);
    return undefined;
  }
  if (committed.replaced) {
    // A retrieval job may be reading the old snapshot right now: it goes a little later.
    const old = committed.replaced;
    await svc.purges.schedule(
      { kind: 'inventory', accountId: vault.accountId, vaultName: vault.vaultName, inventoryId: old.id, chunks: old.chunks },
      svc.now().getTime() + REPLACED_INVENTORY_GRACE_MS,
    );
  }
  return summary;
}

export interface InventoryRun {
  vaults: number;
  failed: { accountId: string; vaultName: string; error: string }[];
}

/** The daily run over every vault; one vault's failure does not stop the others. */
export async function inventoryAllVaults(svc: Services, log: (message: string, detail: Record<string, unknown>) => void = () => {}): Promise<InventoryRun> {
  const run: InventoryRun = { vaults: 0, failed: [] };
  let cursor: string | undefined;
  do {
    const page = await svc.metadata.scanVaults(cursor);
    for (const vault of page.items) {
      try {
        await inventoryVault(svc, vault);
        run.vaults += 1;
      } catch (error) {
        const failure = { accountId: vault.accountId, vaultName: vault.vaultName, error: String(error) };
        run.failed.push(failure);
        log('inventory failed', failure);
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return run;
}

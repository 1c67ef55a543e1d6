import { belongsTo, recordedDate } from './archives';
import { failpoint } from './failpoints';
import { newInventoryId } from './ids';
import type { Services } from './services';
import type { ArchiveRecord, InventoryEntry, InventorySummary, VaultRecord } from './ports';

/** A chunk of the snapshot is flushed once its JSON passes this size (DynamoDB items hold 400 KB). */
export const INVENTORY_CHUNK_BYTES = 256 * 1024;
/** How long a replaced inventory snapshot is kept for jobs that are reading it. */
export const REPLACED_INVENTORY_GRACE_MS = 60 * 60 * 1000;
/** A snapshot being written is removed after this if it was never committed (a scan takes minutes). */
export const UNCOMMITTED_INVENTORY_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Takes a vault's inventory: pages through its archives (memory stays flat however large
 * the vault), writes the snapshot in chunks, then points the vault at it and removes the
 * snapshot it replaced. The snapshot is the vault as of the scan's start, its InventoryDate:
 * an archive recorded after it waits for the next inventory, one deleted after it is still listed.
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

  // Removals are queued before the writes they clean up after, so a crash at any step leaves
  // nothing behind: the new snapshot's (in case it is never committed) and the current one's
  // (it is about to be replaced). A task leaves alone a snapshot the vault still points at.
  const where = { accountId: vault.accountId, vaultName: vault.vaultName };
  await svc.purges.schedule({ kind: 'inventory', ...where, inventoryId: summary.id }, started.getTime() + UNCOMMITTED_INVENTORY_GRACE_MS);
  if (vault.inventory) {
    await svc.purges.schedule(
      { kind: 'inventory', ...where, inventoryId: vault.inventory.id, chunks: vault.inventory.chunks },
      started.getTime() + REPLACED_INVENTORY_GRACE_MS,
    );
  }

  let cursor: string | undefined;
  do {
    const page = await svc.metadata.listArchives(vault.accountId, vault.vaultName, cursor);
    for (const archive of page.items) {
      if (!inVaultAt(archive, vault, summary.date)) continue;
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
  failpoint('inventory:after-chunks');

  const committed = await svc.metadata.commitInventory(vault, summary);
  if (!committed) {
    await svc.metadata.deleteInventoryChunks(vault.accountId, vault.vaultName, summary.id, summary.chunks);
    return undefined;
  }
  failpoint('inventory:after-commit');
  // Another run may have committed between this one's start and its commit.
  const replaced = committed.replaced;
  if (replaced && replaced.id !== vault.inventory?.id) {
    await svc.purges.schedule(
      { kind: 'inventory', ...where, inventoryId: replaced.id, chunks: replaced.chunks },
      svc.now().getTime() + REPLACED_INVENTORY_GRACE_MS,
    );
  }
  failpoint('inventory:after-schedule-old');
  return summary;
}

function inVaultAt(archive: ArchiveRecord, vault: VaultRecord, date: string): boolean {
  if (!belongsTo(archive, vault) || recordedDate(archive) > date) return false;
  return archive.deletedDate === undefined || archive.deletedDate > date;
}

export interface InventoryRun {
  vaults: number;
  failed: { accountId: string; vaultName: string; error: string }[];
}

/** The daily run over every vault; one vault's failure does not stop the others. */
export async function inventoryAllVaults(
  svc: Services,
  log: (message: string, detail: Record<string, unknown>) => void = () => {},
): Promise<InventoryRun> {
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

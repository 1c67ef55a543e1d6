// `coldvault inventory` and `coldvault vaults empty`: the owner's shortcuts around Glacier's
// day-old inventory, on the same domain code the service runs.
import { deleteArchive } from '../domain/archives';
import { authorize } from '../domain/authorize';
import { GlacierError } from '../domain/errors';
import { inventoryAllVaults, inventoryVault } from '../domain/inventory';
import { requireVault } from '../domain/vaults';
import type { Services } from '../domain/services';
import type { ArchiveRecord, VaultRecord } from '../domain/ports';
import { belongsTo } from '../domain/archives';
import type { ImportProgress } from './import-progress';

export interface InventoryTaken {
  accountId: string;
  vaultName: string;
  numberOfArchives: number;
  sizeInBytes: number;
  inventoryDate: string;
}

async function forEachVault(svc: Services, accountId: string | undefined, visit: (vault: VaultRecord) => Promise<void>) {
  let cursor: string | undefined;
  do {
    const page = await svc.metadata.scanVaults(cursor);
    for (const vault of page.items) if (accountId === undefined || vault.accountId === accountId) await visit(vault);
    cursor = page.cursor;
  } while (cursor);
}

/** Takes the inventory of one vault, of every vault of an account, or of every vault, now. */
export async function takeInventories(svc: Services, accountId?: string, vaultName?: string): Promise<InventoryTaken[]> {
  const taken: InventoryTaken[] = [];
  const take = async (vault: VaultRecord) => {
    const summary = await inventoryVault(svc, vault);
    if (summary) {
      taken.push({
        accountId: vault.accountId,
        vaultName: vault.vaultName,
        numberOfArchives: summary.numberOfArchives,
        sizeInBytes: summary.sizeInBytes,
        inventoryDate: summary.date,
      });
    }
  };
  if (vaultName !== undefined) {
    if (accountId === undefined) throw new Error('--vault needs --account');
    await take(await requireVault(svc, accountId, vaultName));
  } else if (accountId !== undefined) {
    await forEachVault(svc, accountId, take);
  } else {
    const run = await inventoryAllVaults(svc);
    if (run.failed.length > 0)
      throw new Error(`The inventory failed for ${run.failed.map((f) => `${f.accountId}/${f.vaultName}: ${f.error}`).join('; ')}`);
    await forEachVault(svc, undefined, async (vault) => {
      if (vault.inventory)
        taken.push({
          accountId: vault.accountId,
          vaultName: vault.vaultName,
          numberOfArchives: vault.inventory.numberOfArchives,
          sizeInBytes: vault.inventory.sizeInBytes,
          inventoryDate: vault.inventory.date,
        });
    });
  }
  return taken;
}

async function liveArchives(svc: Services, vault: VaultRecord): Promise<ArchiveRecord[]> {
  const archives: ArchiveRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await svc.metadata.listArchives(vault.accountId, vault.vaultName, cursor);
    for (const archive of page.items) if (!archive.deletedDate && belongsTo(archive, vault)) archives.push(archive);
    cursor = page.cursor;
  } while (cursor);
  return archives;
}

export class RefusedError extends Error {}

export interface EmptyResult {
  accountId: string;
  vaultName: string;
  deletedArchives: number;
  deletedBytes: number;
  inventory?: InventoryTaken;
}

const noUsers = { getUser: async () => undefined };

/**
 * Deletes every archive of the vault as DeleteArchive does (a job that completed before keeps
 * its output for its 24 hours), then takes the vault's inventory so that DeleteVault works at
 * once. Every delete is first authorized as the account's root key would be: a vault lock that
 * denies one stops the whole command before anything is deleted. Without `confirmed` it only
 * tells what it would delete.
 */
export async function emptyVault(
  svc: Services,
  accountId: string,
  vaultName: string,
  confirmed: boolean,
  progress: ImportProgress,
): Promise<EmptyResult> {
  const vault = await requireVault(svc, accountId, vaultName);
  const archives = await liveArchives(svc, vault);
  const bytes = archives.reduce((sum, a) => sum + a.size, 0);
  const root = { accountId };
  for (const archive of archives) {
    try {
      await authorize(svc, noUsers, root, { operation: 'DeleteArchive', accountId, vaultName, archiveId: archive.archiveId });
    } catch (error) {
      if (!(error instanceof GlacierError)) throw error;
      throw new RefusedError(
        `Refused: the vault's policies deny deleting archive ${archive.archiveId}, so the vault can't be emptied (nothing was deleted).\n${error.message}`,
      );
    }
  }
  if (!confirmed && archives.length > 0) {
    throw new RefusedError(
      `This would delete ${archives.length} archives (${bytes} bytes) from vault ${vaultName} of account ${accountId}. ` +
        'Run it again with --yes to delete them.',
    );
  }
  const figures = { archivesDone: 0, archivesTotal: archives.length, bytesDone: 0, bytesTotal: bytes, jobsWaiting: 0 };
  progress.start(figures);
  for (const archive of archives) {
    await deleteArchive(svc, accountId, vaultName, archive.archiveId);
    figures.archivesDone += 1;
    figures.bytesDone += archive.size;
    progress.update(figures);
  }
  progress.stop();
  // DeleteVault needs an inventory taken after the last write (strictly later, to the millisecond).
  const lastWrite = (await requireVault(svc, accountId, vaultName)).lastWriteMs ?? 0;
  while (svc.now().getTime() <= lastWrite) await new Promise((resolve) => setTimeout(resolve, 2));
  const [inventory] = await takeInventories(svc, accountId, vaultName);
  return { accountId, vaultName, deletedArchives: archives.length, deletedBytes: bytes, inventory };
}

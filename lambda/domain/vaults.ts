import { invalidParameter, limitExceeded, notFound } from './errors';
import { failpoint } from './failpoints';
import { validateVaultName, vaultArn } from './names';
import type { Services } from './services';
import type { VaultRecord } from './ports';

export const MAX_VAULTS_PER_ACCOUNT = 1000;

export function vaultNotFound(svc: Services, accountId: string, vaultName: string) {
  return notFound(`Vault not found for ARN: ${vaultArn(svc.region, accountId, vaultName)}`);
}

export async function requireVault(svc: Services, accountId: string, vaultName: string): Promise<VaultRecord> {
  const vault = await svc.metadata.getVault(accountId, vaultName);
  if (!vault) throw vaultNotFound(svc, accountId, vaultName);
  return vault;
}

/** Idempotent: creating a vault that exists succeeds and changes nothing. */
export async function createVault(svc: Services, accountId: string, vaultName: string): Promise<void> {
  validateVaultName(vaultName);
  if (await svc.metadata.getVault(accountId, vaultName)) return;
  if ((await svc.metadata.countVaults(accountId)) >= MAX_VAULTS_PER_ACCOUNT) {
    throw limitExceeded(`The maximum number of vaults for account ${accountId} (${MAX_VAULTS_PER_ACCOUNT}) has been reached.`);
  }
  await svc.metadata.createVault({ accountId, vaultName, creationDate: svc.now().toISOString() });
}

export async function listVaults(
  svc: Services,
  accountId: string,
  marker: string | undefined,
  limit: number,
): Promise<{ vaults: VaultRecord[]; marker?: string }> {
  let startAfter: string | undefined;
  if (marker !== undefined) {
    const prefix = vaultArn(svc.region, accountId, '');
    startAfter = marker.startsWith(prefix) ? marker.slice(prefix.length) : undefined;
    if (!startAfter) throw invalidParameter(`Invalid marker: ${marker}. Pass the Marker a previous ListVaults returned.`);
  }
  const page = await svc.metadata.listVaults(accountId, startAfter, limit);
  const last = page.items[page.items.length - 1];
  return { vaults: page.items, marker: page.cursor && last ? vaultArn(svc.region, accountId, last.vaultName) : undefined };
}

/**
 * Glacier deletes a vault only if its last inventory shows no archives and nothing was
 * written since. Deleting a vault that does not exist succeeds.
 */
export async function deleteVault(svc: Services, accountId: string, vaultName: string): Promise<void> {
  const vault = await svc.metadata.getVault(accountId, vaultName);
  if (!vault) return;
  const outcome = await svc.metadata.deleteVaultIfIdle(accountId, vaultName);
  failpoint('delete-vault:after-delete');
  if (outcome === 'not-empty') {
    throw invalidParameter(`Vault not empty or recently written to: ${vaultArn(svc.region, accountId, vaultName)}`);
  }
  if (outcome === 'deleted' && vault.inventory) {
    failpoint('delete-vault:before-chunk-deletion');
    await svc.metadata.deleteInventoryChunks(accountId, vaultName, vault.inventory.id, vault.inventory.chunks);
  }
}

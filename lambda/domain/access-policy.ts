import { notFound } from './errors';
import { vaultArn } from './names';
import { policyFromBody } from './vault-lock';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';

export async function setVaultAccessPolicy(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<void> {
  const policy = policyFromBody(body);
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'accessPolicy', policy))) throw vaultNotFound(svc, accountId, vaultName);
}

export async function getVaultAccessPolicy(svc: Services, accountId: string, vaultName: string): Promise<string> {
  const vault = await requireVault(svc, accountId, vaultName);
  if (vault.accessPolicy === undefined) throw notFound(`No vault access policy is set for: ${vaultArn(svc.region, accountId, vaultName)}`);
  return vault.accessPolicy;
}

/** Idempotent: deleting a policy that isn't there succeeds. */
export async function deleteVaultAccessPolicy(svc: Services, accountId: string, vaultName: string): Promise<void> {
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'accessPolicy', undefined)))
    throw vaultNotFound(svc, accountId, vaultName);
}

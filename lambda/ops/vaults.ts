import { vaultArn } from '../domain/names';
import { createVault, deleteVault, listVaults, requireVault } from '../domain/vaults';
import type { Services } from '../domain/services';
import type { VaultRecord } from '../domain/ports';
import { vaultLocation } from './locations';
import { limitOf, type Operation } from './operation';

export const DEFAULT_VAULT_LIST_LIMIT = 10;

/** A vault as of its last inventory; before the first, Glacier counts 0 archives of 0 bytes and gives no date. */
function describe(svc: Services, vault: VaultRecord) {
  return {
    VaultARN: vaultArn(svc.region, vault.accountId, vault.vaultName),
    VaultName: vault.vaultName,
    CreationDate: vault.creationDate,
    ...(vault.inventory && { LastInventoryDate: vault.inventory.date }),
    NumberOfArchives: vault.inventory?.numberOfArchives ?? 0,
    SizeInBytes: vault.inventory?.sizeInBytes ?? 0,
  };
}

export const CreateVault: Operation<'CreateVault'> = async ({ svc, accountId, params }) => {
  await createVault(svc, accountId, params.vaultName);
  return { headers: { location: vaultLocation(accountId, params.vaultName) } };
};

export const DescribeVault: Operation<'DescribeVault'> = async ({ svc, accountId, params }) => ({
  json: describe(svc, await requireVault(svc, accountId, params.vaultName)),
});

export const ListVaults: Operation<'ListVaults'> = async (ctx) => {
  // Glacier's own ListVaults example sends `limit` and `marker` empty, and lists from the first vault: empty is not given.
  const { limit, marker: after } = ctx.request.query;
  const { vaults, marker } = await listVaults(
    ctx.svc,
    ctx.accountId,
    after || undefined,
    limitOf(limit || undefined, DEFAULT_VAULT_LIST_LIMIT),
  );
  return { json: { VaultList: vaults.map((vault) => describe(ctx.svc, vault)), Marker: marker ?? null } };
};

export const DeleteVault: Operation<'DeleteVault'> = async ({ svc, accountId, params }) => {
  await deleteVault(svc, accountId, params.vaultName);
};

import { addTagsToVault, listTagsForVault, removeTagsFromVault } from '../domain/tags';
import type { Operation } from './operation';

export const AddTagsToVault: Operation<'AddTagsToVault'> = async ({ svc, accountId, params, request }) => {
  await addTagsToVault(svc, accountId, params.vaultName, await request.body.read());
};

export const RemoveTagsFromVault: Operation<'RemoveTagsFromVault'> = async ({ svc, accountId, params, request }) => {
  await removeTagsFromVault(svc, accountId, params.vaultName, await request.body.read());
};

export const ListTagsForVault: Operation<'ListTagsForVault'> = async ({ svc, accountId, params }) => ({
  json: { Tags: await listTagsForVault(svc, accountId, params.vaultName) },
});

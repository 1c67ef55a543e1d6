import { deleteArchive, uploadArchive } from '../domain/archives';
import { incomingBytes, treeHashHeader, type Operation } from './operation';

export const UploadArchive: Operation<'UploadArchive'> = async (ctx) => {
  const expectedTreeHash = treeHashHeader(ctx);
  const archive = await uploadArchive(ctx.svc, {
    accountId: ctx.accountId,
    vaultName: ctx.params.vaultName,
    bytes: incomingBytes(ctx),
    expectedTreeHash,
    description: ctx.request.headers['x-amz-archive-description'] ?? '',
  });
  return {
    headers: { location: archive.location, 'x-amz-archive-id': archive.archiveId, 'x-amz-sha256-tree-hash': archive.treeHash },
  };
};

export const DeleteArchive: Operation<'DeleteArchive'> = async ({ svc, accountId, params }) => {
  await deleteArchive(svc, accountId, params.vaultName, params.archiveId);
};

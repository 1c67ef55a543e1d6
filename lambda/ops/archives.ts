import { deleteArchive, uploadArchive } from '../domain/archives';
import { archiveLocation } from './locations';
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
    headers: {
      location: archiveLocation(ctx.accountId, ctx.params.vaultName, archive.archiveId),
      'x-amz-archive-id': archive.archiveId,
      'x-amz-sha256-tree-hash': archive.treeHash,
    },
  };
};

export const DeleteArchive: Operation<'DeleteArchive'> = async ({ svc, accountId, params }) => {
  await deleteArchive(svc, accountId, params.vaultName, params.archiveId);
};

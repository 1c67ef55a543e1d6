import { invalidParameter } from '../domain/errors';
import { deleteArchive, uploadArchive } from '../domain/archives';
import { isSha256Hex } from '../domain/checksums';
import { requireHeader, type Operation } from './operation';

export const UploadArchive: Operation = async (ctx) => {
  const { request } = ctx;
  const expectedTreeHash = requireHeader(ctx, 'x-amz-sha256-tree-hash');
  if (!isSha256Hex(expectedTreeHash)) throw invalidParameter(`Invalid x-amz-sha256-tree-hash: ${expectedTreeHash}`);
  requireHeader(ctx, 'x-amz-content-sha256');
  const body = await request.body.read(ctx.svc.maxBodyBytes);

  const archive = await uploadArchive(ctx.svc, {
    accountId: ctx.accountId,
    vaultName: ctx.params.vaultName,
    body,
    bodySha256: Buffer.from(request.body.sha256, 'hex'),
    expectedTreeHash,
    description: request.headers['x-amz-archive-description'] ?? '',
  });
  return {
    headers: { location: archive.location, 'x-amz-archive-id': archive.archiveId, 'x-amz-sha256-tree-hash': archive.treeHash },
  };
};

export const DeleteArchive: Operation = async ({ svc, accountId, params }) => {
  await deleteArchive(svc, accountId, params.vaultName, params.archiveId);
};

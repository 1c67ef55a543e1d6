import { invalidParameter } from '../domain/errors';
import { deleteArchive, uploadArchive } from '../domain/archives';
import { isSha256Hex } from '../domain/checksums';
import { requireHeader, type Operation } from './operation';

export const UploadArchive: Operation = async (ctx) => {
  const { request } = ctx;
  const declaredLength = request.headers['content-length'];
  if (declaredLength !== undefined && Number(declaredLength) !== request.body.length) {
    throw invalidParameter(`Invalid Content-Length: ${declaredLength}`);
  }
  const expectedTreeHash = requireHeader(ctx, 'x-amz-sha256-tree-hash');
  if (!isSha256Hex(expectedTreeHash)) throw invalidParameter(`Invalid x-amz-sha256-tree-hash: ${expectedTreeHash}`);
  requireHeader(ctx, 'x-amz-content-sha256');

  const archive = await uploadArchive(ctx.svc, {
    accountId: ctx.accountId,
    vaultName: ctx.params.vaultName,
    body: request.body,
    bodySha256: ctx.bodySha256,
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

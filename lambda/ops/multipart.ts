import { vaultArn } from '../domain/names';
import { abortUpload, completeUpload, initiateUpload, listParts, listUploads, uploadPart } from '../domain/multipart';
import type { Services } from '../domain/services';
import type { UploadRecord } from '../domain/ports';
import { archiveLocation, uploadLocation } from './locations';
import { parseArchiveSize, parsePartSize } from './multipart-parameters';
import { incomingBytes, limitParam, requireHeader, treeHashHeader, type Operation } from './operation';

export const DEFAULT_UPLOAD_LIST_LIMIT = 50;

const describeUpload = (svc: Services, upload: UploadRecord) => ({
  ArchiveDescription: upload.description,
  CreationDate: upload.creationDate,
  MultipartUploadId: upload.uploadId,
  PartSizeInBytes: upload.partSize,
  VaultARN: vaultArn(svc.region, upload.accountId, upload.vaultName),
});

export const InitiateMultipartUpload: Operation<'InitiateMultipartUpload'> = async ({ svc, accountId, params, request }) => {
  const { uploadId } = await initiateUpload(svc, {
    accountId,
    vaultName: params.vaultName,
    partSize: parsePartSize(request.headers['x-amz-part-size'], svc.maxBodyBytes),
    description: request.headers['x-amz-archive-description'] ?? '',
  });
  return { headers: { location: uploadLocation(accountId, params.vaultName, uploadId), 'x-amz-multipart-upload-id': uploadId } };
};

export const UploadMultipartPart: Operation<'UploadMultipartPart'> = async (ctx) => {
  const { treeHash } = await uploadPart(ctx.svc, {
    accountId: ctx.accountId,
    vaultName: ctx.params.vaultName,
    uploadId: ctx.params.uploadId,
    contentRange: ctx.request.headers['content-range'],
    expectedTreeHash: requireHeader(ctx, 'x-amz-sha256-tree-hash'),
    bytes: incomingBytes(ctx),
  });
  return { headers: { 'x-amz-sha256-tree-hash': treeHash } };
};

export const CompleteMultipartUpload: Operation<'CompleteMultipartUpload'> = async (ctx) => {
  const archiveSize = parseArchiveSize(ctx.request.headers['x-amz-archive-size']);
  const archive = await completeUpload(ctx.svc, {
    accountId: ctx.accountId,
    vaultName: ctx.params.vaultName,
    uploadId: ctx.params.uploadId,
    archiveSize,
    expectedTreeHash: treeHashHeader(ctx),
  });
  return {
    headers: {
      location: archiveLocation(ctx.accountId, ctx.params.vaultName, archive.archiveId),
      'x-amz-archive-id': archive.archiveId,
      'x-amz-sha256-tree-hash': archive.treeHash,
    },
  };
};

export const AbortMultipartUpload: Operation<'AbortMultipartUpload'> = async ({ svc, accountId, params }) => {
  await abortUpload(svc, accountId, params.vaultName, params.uploadId);
};

export const ListMultipartUploads: Operation<'ListMultipartUploads'> = async (ctx) => {
  const { uploads, marker } = await listUploads(
    ctx.svc,
    ctx.accountId,
    ctx.params.vaultName,
    ctx.request.query.marker,
    limitParam(ctx, DEFAULT_UPLOAD_LIST_LIMIT),
  );
  return { json: { UploadsList: uploads.map((upload) => describeUpload(ctx.svc, upload)), Marker: marker ?? null } };
};

export const ListParts: Operation<'ListParts'> = async (ctx) => {
  const { upload, parts, marker } = await listParts(
    ctx.svc,
    ctx.accountId,
    ctx.params.vaultName,
    ctx.params.uploadId,
    ctx.request.query.marker,
    limitParam(ctx, DEFAULT_UPLOAD_LIST_LIMIT),
  );
  return {
    json: {
      ...describeUpload(ctx.svc, upload),
      Parts: parts.map((part) => ({
        RangeInBytes: `${part.index * upload.partSize}-${part.index * upload.partSize + part.size - 1}`,
        SHA256TreeHash: part.treeHash,
      })),
      Marker: marker ?? null,
    },
  };
};

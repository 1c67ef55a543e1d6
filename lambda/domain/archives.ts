import { invalidParameter, notFound } from './errors';
import { deleteWithLeaves } from './blobs';
import { failpoint } from './failpoints';
import { newArchiveId } from './ids';
import { validateDescription, vaultArn } from './names';
import { requireVault, vaultNotFound } from './vaults';
import { stageVerified, type IncomingBytes } from './staging';
import type { Services } from './services';
import type { ArchiveRecord, VaultRecord } from './ports';

export interface UploadArchiveInput {
  accountId: string;
  vaultName: string;
  bytes: IncomingBytes;
  /** The x-amz-sha256-tree-hash the client sent. */
  expectedTreeHash: string;
  description: string;
}

export interface UploadedArchive {
  archiveId: string;
  treeHash: string;
}

/** A job that completed before a delete serves the bytes for 24 hours; a minute more for clocks. */
export const ARCHIVE_BYTES_GRACE_MS = 24 * 60 * 60 * 1000 + 60_000;
/** Longer than any upload request runs: bytes whose archive was not recorded by then never will be. */
export const UNRECORDED_BLOB_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Bytes first, streamed and verified (their removal queued in case no record follows), then
 * committed; then the vault is stamped (which also proves it still exists); then the archive's
 * metadata; then the vault is stamped again so that an inventory that ran while the archive was
 * being written can't make the vault look empty. If that second stamp finds the vault gone (or
 * replaced), an inventory and a DeleteVault ran in between: the archive is not in a live vault,
 * so it is removed and the client told so.
 */
export async function uploadArchive(svc: Services, input: UploadArchiveInput): Promise<UploadedArchive> {
  const { accountId, vaultName, bytes } = input;
  validateDescription(input.description);
  if (bytes.size === 0) throw invalidParameter('Invalid Content-Length: 0');
  const vault = await requireVault(svc, accountId, vaultName);

  const archiveId = newArchiveId();
  const blobKey = `${accountId}/archives/${archiveId}`;
  // Queued before the bytes go in, so that a crash before the archive is recorded leaves nothing behind.
  await svc.purges.schedule(
    { kind: 'unreferenced-blob', blobKey, accountId, vaultName, archiveId },
    svc.now().getTime() + UNRECORDED_BLOB_GRACE_MS,
  );
  const blob = await stageVerified(svc, blobKey, bytes, input.expectedTreeHash, { recordLeaves: true });
  await failpoint('upload-archive:after-stage');
  await blob.commit();
  await failpoint('upload-archive:after-blob');

  if (!(await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime()))) {
    await deleteWithLeaves(svc.blobs, [blobKey]);
    throw vaultNotFound(svc, accountId, vaultName);
  }
  await failpoint('upload-archive:after-first-stamp');
  await svc.metadata.createArchive({
    accountId,
    vaultName,
    archiveId,
    description: input.description,
    size: bytes.size,
    treeHash: blob.treeHash,
    creationDate: svc.now().toISOString(),
    layout: { kind: 'blob', blobKey, ...(blob.leaves && { leaves: blob.leaves.toString('base64') }) },
  });
  await failpoint('upload-archive:after-record');
  if (!(await stampedAgain(svc, vault))) {
    await removeArchiveOfDeletedVault(svc, accountId, vaultName, archiveId);
    throw vaultNotFound(svc, accountId, vaultName);
  }
  await failpoint('upload-archive:after-second-stamp');
  return { archiveId, treeHash: blob.treeHash };
}

/**
 * The stamp after an archive's record: true if it landed on the vault the archive was written
 * to. Once it has, no inventory can show that vault empty without the archive in it, so the
 * vault can't be deleted under the archive.
 */
export async function stampedAgain(svc: Services, vault: VaultRecord): Promise<boolean> {
  return (await svc.metadata.recordVaultWrite(vault.accountId, vault.vaultName, svc.now().getTime())) === vault.creationDate;
}

/** An archive recorded in a vault deleted meanwhile: tombstoned, and its bytes removed by the janitor now. */
export async function removeArchiveOfDeletedVault(svc: Services, accountId: string, vaultName: string, archiveId: string): Promise<void> {
  const now = svc.now();
  await svc.purges.schedule({ kind: 'archive-bytes', accountId, vaultName, archiveId }, now.getTime());
  await svc.metadata.markArchiveDeleted(accountId, vaultName, archiveId, now.toISOString());
}

/**
 * Idempotent for an archive that was deleted; 404 for one that never existed. The bytes stay
 * for as long as a retrieval job that completed before the delete may still serve them: the
 * janitor removes them then. The removal is queued before the delete is recorded, so that a
 * crash in between leaves nothing behind.
 */
export async function deleteArchive(svc: Services, accountId: string, vaultName: string, archiveId: string): Promise<void> {
  const vault = await requireVault(svc, accountId, vaultName);
  const archive = await svc.metadata.getArchive(accountId, vaultName, archiveId);
  if (!archive || !belongsTo(archive, vault)) {
    throw notFound(`Archive not found for ARN: ${vaultArn(svc.region, accountId, vaultName)}/archives/${archiveId}`);
  }
  if (archive.deletedDate) return;
  const now = svc.now();
  await svc.purges.schedule({ kind: 'archive-bytes', accountId, vaultName, archiveId }, now.getTime() + ARCHIVE_BYTES_GRACE_MS);
  failpoint('delete-archive:after-schedule');
  const outcome = await svc.metadata.markArchiveDeleted(accountId, vaultName, archiveId, now.toISOString());
  failpoint('delete-archive:after-tombstone');
  if (outcome === 'deleted') await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime());
}

/**
 * An archive record left by an earlier vault of the same name is not this vault's. An imported
 * archive's creation date may predate the vault: when it was recorded is what counts.
 */
export function belongsTo(archive: ArchiveRecord, vault: VaultRecord): boolean {
  return recordedDate(archive) >= vault.creationDate;
}

/** When the archive was recorded here: its creation date, or for an imported archive when it was imported. */
export function recordedDate(archive: ArchiveRecord): string {
  return (archive.layout.kind === 'blob' && archive.layout.importedDate) || archive.creationDate;
}

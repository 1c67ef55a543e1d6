import { invalidParameter, notFound } from './errors';
import { treeHash } from './checksums';
import { failpoint } from './failpoints';
import { newArchiveId } from './ids';
import { validateDescription, vaultArn, vaultPath } from './names';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';
import type { ArchiveRecord, VaultRecord } from './ports';

export interface UploadArchiveInput {
  accountId: string;
  vaultName: string;
  body: Buffer;
  /** SHA-256 of the body, already checked against x-amz-content-sha256. */
  bodySha256: Buffer;
  /** The x-amz-sha256-tree-hash the client sent. */
  expectedTreeHash: string;
  description: string;
}

export interface UploadedArchive {
  archiveId: string;
  treeHash: string;
  location: string;
}

/** A job that completed before a delete serves the bytes for 24 hours; a minute more for clocks. */
export const ARCHIVE_BYTES_GRACE_MS = 24 * 60 * 60 * 1000 + 60_000;
/** Longer than any upload request runs: bytes whose archive was not recorded by then never will be. */
export const UNRECORDED_BLOB_GRACE_MS = 24 * 60 * 60 * 1000;

export function archiveLocation(accountId: string, vaultName: string, archiveId: string): string {
  return `${vaultPath(accountId, vaultName)}/archives/${archiveId}`;
}

export function checksumMismatch(expected: string, computed: string) {
  return invalidParameter(`Checksum mismatch: expected ${expected}, computed ${computed}`);
}

/**
 * Bytes first, verified (their removal queued in case no record follows); then the vault is
 * stamped (which also proves it still exists); then the archive's metadata; then the vault is
 * stamped again so that an inventory that ran while the archive was being written can't make
 * the vault look empty.
 */
export async function uploadArchive(svc: Services, input: UploadArchiveInput): Promise<UploadedArchive> {
  const { accountId, vaultName, body } = input;
  validateDescription(input.description);
  if (body.length === 0) throw invalidParameter('Invalid Content-Length: 0');
  await requireVault(svc, accountId, vaultName);

  const computed = treeHash(body).toString('hex');
  if (computed !== input.expectedTreeHash.toLowerCase()) throw checksumMismatch(input.expectedTreeHash, computed);

  const archiveId = newArchiveId();
  const blobKey = `${accountId}/archives/${archiveId}`;
  // Queued before the bytes go in, so that a crash before the archive is recorded leaves nothing behind.
  await svc.purges.schedule(
    { kind: 'unreferenced-blob', blobKey, accountId, vaultName, archiveId },
    svc.now().getTime() + UNRECORDED_BLOB_GRACE_MS,
  );
  await svc.blobs.put(blobKey, body, input.bodySha256);
  failpoint('upload-archive:after-blob');

  if (!(await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime()))) {
    await svc.blobs.delete(blobKey);
    throw vaultNotFound(svc, accountId, vaultName);
  }
  failpoint('upload-archive:after-first-stamp');
  await svc.metadata.createArchive({
    accountId,
    vaultName,
    archiveId,
    description: input.description,
    size: body.length,
    treeHash: computed,
    creationDate: svc.now().toISOString(),
    layout: { kind: 'blob', blobKey },
  });
  failpoint('upload-archive:after-record');
  await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime());
  failpoint('upload-archive:after-second-stamp');
  return { archiveId, treeHash: computed, location: archiveLocation(accountId, vaultName, archiveId) };
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
  const recorded = (archive.layout.kind === 'blob' && archive.layout.importedDate) || archive.creationDate;
  return recorded >= vault.creationDate;
}

// The import's one way into the stores: an archive's bytes from a stream, verified, then its
// record under its original ID. Everything else in the import is independent of how bytes are stored.
import type { Readable } from 'node:stream';
import { deleteWithLeaves } from '../domain/blobs';
import { GlacierError } from '../domain/errors';
import { stageVerified, type VerifiedBlob } from '../domain/staging';
import { removeArchiveOfDeletedVault, UNRECORDED_BLOB_GRACE_MS } from '../domain/archives';
import { importPoint } from './import-failpoints';
import { randomSuffix } from '../domain/ids';
import { validateDescription } from '../domain/names';
import type { Services } from '../domain/services';

export interface ImportedArchive {
  accountId: string;
  vaultName: string;
  /** The source's archive ID, kept as it is (Glacier's own are 138 URL-safe characters). */
  archiveId: string;
  description: string;
  creationDate: string;
  size: number;
  treeHash: string;
}

export type WriteOutcome = 'recorded' | 'already-there';

export class ImportVerificationError extends Error {}

/** The vault's record of this archive ID, deleted or not: an ID is recorded once, ever. */
export async function isRecorded(svc: Services, archive: Pick<ImportedArchive, 'accountId' | 'vaultName' | 'archiveId'>) {
  return (await svc.metadata.getArchive(archive.accountId, archive.vaultName, archive.archiveId)) !== undefined;
}

/**
 * Writes the archive's bytes from `body` (read to its end; an error in it writes nothing),
 * checks their size and tree hash against the archive's, then records the archive under its
 * original ID with its description, creation date, size and tree hash. Bytes go first, under a
 * key of their own, with their removal queued in case no record follows (a crash, a failed
 * check); a retry writes under a new key, so nothing is ever overwritten.
 * The bytes stream into the blob store as they arrive, hashed on the way, as an upload's do.
 */
export async function writeImportedArchive(svc: Services, archive: ImportedArchive, body: Readable): Promise<WriteOutcome> {
  const { accountId, vaultName, archiveId } = archive;
  validateDescription(archive.description);
  if (await isRecorded(svc, archive)) {
    body.destroy();
    return 'already-there';
  }
  const blobKey = `${accountId}/archives/${archiveId}.${randomSuffix()}`;
  await svc.purges.schedule(
    { kind: 'unreferenced-blob', blobKey, accountId, vaultName, archiveId },
    svc.now().getTime() + UNRECORDED_BLOB_GRACE_MS,
  );

  let blob: VerifiedBlob;
  try {
    blob = await stageVerified(svc, blobKey, { body, size: archive.size }, archive.treeHash);
  } catch (error) {
    // The bytes are not the archive's (a tree hash mismatch): reported, never recorded.
    if (error instanceof GlacierError) throw new ImportVerificationError(error.message);
    throw error;
  }
  await blob.commit();
  importPoint('import:after-blob');
  const computed = blob.treeHash;

  const importedDate = svc.now().toISOString();
  const vaultCreated = await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime());
  if (!vaultCreated) {
    await deleteWithLeaves(svc.blobs, [blobKey]);
    throw vaultDeleted(archive);
  }
  const created = await svc.metadata.createArchive({
    accountId,
    vaultName,
    archiveId,
    description: archive.description,
    size: archive.size,
    treeHash: computed,
    creationDate: archive.creationDate,
    layout: { kind: 'blob', blobKey, importedDate },
  });
  if (!created) {
    // Another run recorded it first: these bytes are nobody's.
    await deleteWithLeaves(svc.blobs, [blobKey]);
    return 'already-there';
  }
  // As an upload's second stamp: if it misses the vault, an inventory and a DeleteVault ran in
  // between, and the archive is in no live vault.
  if ((await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime())) !== vaultCreated) {
    await removeArchiveOfDeletedVault(svc, accountId, vaultName, archiveId);
    throw vaultDeleted(archive);
  }
  return 'recorded';
}

const vaultDeleted = ({ accountId, vaultName }: ImportedArchive) =>
  new Error(`The vault ${vaultName} of account ${accountId} was deleted during the import`);

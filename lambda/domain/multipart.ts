import { invalidParameter, missingHeader, notFound } from './errors';
import { MiB, combineTreeHashes } from './checksums';
import { failpoint } from './failpoints';
import { newArchiveId, newUploadId, randomSuffix } from './ids';
import { validateDescription, vaultArn } from './names';
import { removeArchiveOfDeletedVault, stampedAgain, type UploadedArchive } from './archives';
import { deleteWithLeaves, leavesKey } from './blobs';
import { checksumMismatch, stageVerified, type IncomingBytes } from './staging';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';
import type { PartRecord, UploadRecord, VaultRecord } from './ports';

export const MIN_PART_SIZE = MiB;
export const MAX_PART_SIZE = 4 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** Blob keys per stored segment chunk of a multipart archive. */
export const SEGMENTS_PER_CHUNK = 1000;
/** Uploads idle this long are removed by the janitor, as Glacier may do after 24 hours. */
export const UPLOAD_IDLE_MS = 24 * 60 * 60 * 1000;

const PART_PAGE = 1000;

export function uploadBlobPrefix(accountId: string, uploadId: string): string {
  return `${accountId}/uploads/${uploadId}/`;
}

function uploadNotFound(svc: Services, accountId: string, vaultName: string, uploadId: string) {
  return notFound(`Multipart upload not found: ${uploadId} in ${vaultArn(svc.region, accountId, vaultName)}`);
}

async function requireOpenUpload(svc: Services, accountId: string, vaultName: string, uploadId: string): Promise<UploadRecord> {
  const vault = await requireVault(svc, accountId, vaultName);
  const upload = await svc.uploads.getUpload(accountId, vaultName, uploadId);
  if (!upload || upload.aborted || upload.completed || upload.reservedArchiveId || !uploadBelongsTo(upload, vault)) {
    throw uploadNotFound(svc, accountId, vaultName, uploadId);
  }
  return upload;
}

export async function initiateUpload(
  svc: Services,
  input: {
    accountId: string;
    vaultName: string;
    /** Already checked against Glacier's and the endpoint's limits. */ partSize: number;
    description: string;
  },
): Promise<{ uploadId: string }> {
  const { partSize } = input;
  validateDescription(input.description);
  await requireVault(svc, input.accountId, input.vaultName);
  const now = svc.now();
  const uploadId = newUploadId();
  await svc.uploads.createUpload({
    accountId: input.accountId,
    vaultName: input.vaultName,
    uploadId,
    description: input.description,
    partSize,
    creationDate: now.toISOString(),
    lastActivityMs: now.getTime(),
  });
  return { uploadId };
}

export function parseContentRange(raw: string, partSize: number, bodyLength: number): number {
  const match = /^bytes (\d+)-(\d+)\/\*$/.exec(raw);
  const [start, end] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || end < start) throw invalidParameter(`Invalid Content-Range: ${raw}. It must be of the form 'bytes <first>-<last>/*'.`);
  if (end - start + 1 !== bodyLength) throw invalidParameter(`Content-Range: ${raw} is incompatible with Content-Length: ${bodyLength}`);
  if (start % partSize !== 0 || end - start + 1 > partSize) {
    throw invalidParameter(
      `Invalid Content-Range: ${raw}. A part must start at a multiple of the part size (${partSize} bytes) and be at most that long.`,
    );
  }
  const index = start / partSize;
  if (index >= MAX_PARTS) {
    throw invalidParameter(
      `This is part number ${index + 1} for the current multipart upload. It exceeds the limit of ${MAX_PARTS} parts.`,
    );
  }
  return index;
}

export async function uploadPart(
  svc: Services,
  input: {
    accountId: string;
    vaultName: string;
    uploadId: string;
    contentRange: string | undefined;
    bytes: IncomingBytes;
    expectedTreeHash: string;
  },
): Promise<{ treeHash: string }> {
  const { accountId, vaultName, uploadId, bytes } = input;
  const upload = await requireOpenUpload(svc, accountId, vaultName, uploadId);
  if (input.contentRange === undefined) throw missingHeader('Content-Range');
  const index = parseContentRange(input.contentRange, upload.partSize, bytes.size);

  // Every stored part gets a blob of its own: a part sent again never overwrites bytes that a
  // completed archive may already point at. Blobs no archive points at are removed by prefix.
  const blobKey = `${uploadBlobPrefix(accountId, uploadId)}${index}-${randomSuffix()}`;
  const blob = await stageVerified(svc, blobKey, bytes, input.expectedTreeHash);
  await failpoint('upload-part:after-stage');
  await blob.commit();
  await failpoint('upload-part:after-blob');
  await svc.uploads.putPart(accountId, vaultName, uploadId, { index, size: bytes.size, treeHash: blob.treeHash, blobKey });
  await failpoint('upload-part:after-record');
  if (!(await svc.uploads.touchUpload(accountId, vaultName, uploadId, svc.now().getTime()))) {
    // Aborted meanwhile: the abort's purge may have missed this part, so remove it here. (If a
    // Complete took the upload meanwhile, its archive may point at this blob: leave it to the janitor.)
    const now = await svc.uploads.getUpload(accountId, vaultName, uploadId);
    if (!now || now.aborted) await deleteWithLeaves(svc.blobs, [blobKey]);
    // Once the abort has removed the upload, nothing else would find this part's record.
    if (!now) await svc.uploads.removeUpload(accountId, vaultName, uploadId);
    throw uploadNotFound(svc, accountId, vaultName, uploadId);
  }
  return { treeHash: blob.treeHash };
}

async function allParts(svc: Services, upload: UploadRecord): Promise<PartRecord[]> {
  const parts: PartRecord[] = [];
  let from = 0;
  for (;;) {
    const page = await svc.uploads.listParts(upload.accountId, upload.vaultName, upload.uploadId, from, PART_PAGE);
    parts.push(...page.items);
    if (!page.cursor || page.items.length === 0) return parts;
    from = page.items[page.items.length - 1].index + 1;
  }
}

function checkParts(upload: UploadRecord, parts: PartRecord[], archiveSize: number): number {
  if (parts.length === 0) throw invalidParameter(`Multipart upload ${upload.uploadId} has no parts.`);
  let total = 0;
  parts.forEach((part, i) => {
    if (part.index !== i) {
      throw invalidParameter(`Multipart upload is missing the range bytes ${i * upload.partSize}-${part.index * upload.partSize - 1}.`);
    }
    if (i < parts.length - 1 && part.size !== upload.partSize) {
      throw invalidParameter(
        `Part bytes ${i * upload.partSize}-${i * upload.partSize + part.size - 1} is shorter than the part size ${upload.partSize}; only the last part may be.`,
      );
    }
    total += part.size;
  });
  if (total !== archiveSize) throw invalidParameter(`Invalid archive size: ${archiveSize}. The uploaded parts add up to ${total} bytes.`);
  return total;
}

/**
 * Assembles the archive from the parts' records, without reading the bytes: the tree hash
 * comes from the parts' tree hashes, and the archive points at the parts' blobs. Each step
 * can be retried: the archive ID is reserved on the upload first (after which the upload
 * can no longer be aborted), so a retry, a Complete sent again, or the janitor finishing a
 * Complete that crashed, all give the same archive.
 */
export async function completeUpload(
  svc: Services,
  input: { accountId: string; vaultName: string; uploadId: string; archiveSize: number; /** In hex. */ expectedTreeHash: string },
): Promise<UploadedArchive> {
  const { accountId, vaultName, uploadId, archiveSize } = input;
  const expected = input.expectedTreeHash.toLowerCase();

  const vault = await requireVault(svc, accountId, vaultName);
  const upload = await svc.uploads.getUpload(accountId, vaultName, uploadId);
  if (!upload || upload.aborted || !uploadBelongsTo(upload, vault)) throw uploadNotFound(svc, accountId, vaultName, uploadId);
  if (upload.completed) {
    const done = upload.completed;
    if (done.size !== archiveSize)
      throw invalidParameter(`Invalid archive size: ${archiveSize}. The uploaded parts add up to ${done.size} bytes.`);
    if (done.treeHash !== expected) throw checksumMismatch(input.expectedTreeHash, done.treeHash);
    return { archiveId: done.archiveId, treeHash: done.treeHash };
  }

  const parts = await allParts(svc, upload);
  checkParts(upload, parts, archiveSize);
  const computed = assembledTreeHash(parts);
  if (computed !== expected) throw checksumMismatch(input.expectedTreeHash, computed);

  const archiveId = await svc.uploads.reserveArchiveId(accountId, vaultName, uploadId, newArchiveId());
  if (!archiveId) throw uploadNotFound(svc, accountId, vaultName, uploadId);
  await failpoint('complete-upload:after-reserve');
  const done = await finishCompletion(svc, vault, upload, archiveId, parts);
  if (!done) throw vaultNotFound(svc, accountId, vaultName);
  await failpoint('complete-upload:after-mark-completed');
  return { archiveId, treeHash: computed };
}

const assembledTreeHash = (parts: PartRecord[]) =>
  combineTreeHashes(parts.map((part) => Buffer.from(part.treeHash, 'hex'))).toString('hex');

/**
 * The steps after the archive ID is reserved: segment lists, the archive record (created
 * only once: a retry never brings back an archive deleted since), the vault stamps, and the
 * upload marked completed. False if the vault is gone.
 */
async function finishCompletion(
  svc: Services,
  vault: VaultRecord,
  upload: UploadRecord,
  archiveId: string,
  parts: PartRecord[],
): Promise<boolean> {
  const { accountId, vaultName, uploadId } = upload;
  const chunks = Math.ceil(parts.length / SEGMENTS_PER_CHUNK);
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    const keys = parts.slice(chunk * SEGMENTS_PER_CHUNK, (chunk + 1) * SEGMENTS_PER_CHUNK).map((part) => part.blobKey);
    await svc.uploads.putSegments(accountId, vaultName, archiveId, chunk, keys);
  }
  await failpoint('complete-upload:after-segments');
  if (!(await svc.metadata.recordVaultWrite(accountId, vaultName, svc.now().getTime()))) return false;
  await failpoint('complete-upload:after-first-stamp');
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  const treeHash = assembledTreeHash(parts);
  const creationDate = svc.now().toISOString();
  await svc.metadata.createArchive({
    accountId,
    vaultName,
    archiveId,
    description: upload.description,
    size,
    treeHash,
    creationDate,
    layout: { kind: 'parts', uploadId, partSize: upload.partSize, count: parts.length, chunks },
  });
  await failpoint('complete-upload:after-record');
  if (!(await stampedAgain(svc, vault))) {
    // An inventory and a DeleteVault ran since the first stamp: the archive is not in a live vault.
    await removeArchiveOfDeletedVault(svc, accountId, vaultName, archiveId);
    return false;
  }
  await failpoint('complete-upload:after-second-stamp');
  await svc.uploads.markCompleted(accountId, vaultName, uploadId, { archiveId, size, treeHash, date: creationDate });
  return true;
}

/** An upload left by an earlier vault of the same name is not this vault's. */
function uploadBelongsTo(upload: UploadRecord, vault: VaultRecord): boolean {
  return upload.creationDate >= vault.creationDate;
}

/** Removes the upload's bytes that no archive points at, then the upload itself. */
export async function purgeUpload(svc: Services, upload: UploadRecord): Promise<void> {
  await removeStaleBytes(svc, upload);
  await svc.uploads.removeUpload(upload.accountId, upload.vaultName, upload.uploadId);
}

async function removeStaleBytes(svc: Services, upload: UploadRecord): Promise<void> {
  const keep = new Set<string>();
  if (upload.completed) {
    const archive = await svc.metadata.getArchive(upload.accountId, upload.vaultName, upload.completed.archiveId);
    // A deleted archive's bytes are kept too: the janitor's archive-bytes task removes them when jobs are done with them.
    if (archive && archive.layout.kind === 'parts') {
      for (let chunk = 0; chunk < archive.layout.chunks; chunk += 1) {
        for (const key of (await svc.uploads.getSegments(upload.accountId, upload.vaultName, archive.archiveId, chunk)) ?? [])
          keep.add(key).add(leavesKey(key));
      }
    }
  }
  const stale = (await svc.blobs.list(uploadBlobPrefix(upload.accountId, upload.uploadId))).filter((key) => !keep.has(key));
  await svc.blobs.deleteMany(stale);
  failpoint('abort-upload:after-blob-deletion');
}

/**
 * Removes the upload's bytes at once, but keeps its records, marked aborted, for the janitor to
 * remove once the upload has been idle for a day: Glacier answers an Abort of an upload already
 * aborted with success for a while.
 */
export async function abortUpload(svc: Services, accountId: string, vaultName: string, uploadId: string): Promise<void> {
  const vault = await requireVault(svc, accountId, vaultName);
  const found = await svc.uploads.getUpload(accountId, vaultName, uploadId);
  if (!found || !uploadBelongsTo(found, vault)) throw uploadNotFound(svc, accountId, vaultName, uploadId);
  const outcome = await svc.uploads.markAborted(accountId, vaultName, uploadId);
  if (outcome !== 'aborted') throw uploadNotFound(svc, accountId, vaultName, uploadId);
  failpoint('abort-upload:after-mark-aborted');
  const upload = await svc.uploads.getUpload(accountId, vaultName, uploadId);
  if (upload) await removeStaleBytes(svc, upload);
}

export async function listUploads(svc: Services, accountId: string, vaultName: string, marker: string | undefined, limit: number) {
  const vault = await requireVault(svc, accountId, vaultName);
  const uploads: UploadRecord[] = [];
  let after = marker;
  for (;;) {
    const page = await svc.uploads.listUploads(accountId, vaultName, after, limit - uploads.length);
    // Uploads of an earlier vault of the same name, and ones a Complete has taken, are not listed,
    // but the listing reads on past them: the marker is the last upload read, listed or not.
    uploads.push(...page.items.filter((upload) => uploadBelongsTo(upload, vault) && !upload.reservedArchiveId));
    const last = page.items[page.items.length - 1];
    if (!page.cursor || !last) return { uploads, marker: undefined };
    after = last.uploadId;
    if (uploads.length >= limit) return { uploads, marker: after };
  }
}

export async function listParts(
  svc: Services,
  accountId: string,
  vaultName: string,
  uploadId: string,
  marker: string | undefined,
  limit: number,
) {
  const upload = await requireOpenUpload(svc, accountId, vaultName, uploadId);
  let from = 0;
  if (marker !== undefined) {
    if (!/^\d+$/.test(marker)) throw invalidParameter(`Invalid marker: ${marker}. Pass the Marker a previous ListParts returned.`);
    from = Number(marker);
  }
  const page = await svc.uploads.listParts(accountId, vaultName, uploadId, from, limit);
  const last = page.items[page.items.length - 1];
  return { upload, parts: page.items, marker: page.cursor && last ? String(last.index + 1) : undefined };
}

/**
 * The janitor's pass over uploads idle for 24 hours: an open one is aborted, a Complete that
 * crashed after reserving its archive ID is finished, and then the bytes no archive points
 * at are removed with the upload's records.
 */
export async function purgeIdleUploads(svc: Services, idleMs = UPLOAD_IDLE_MS): Promise<number> {
  let purged = 0;
  let cursor: string | undefined;
  do {
    const before = svc.now().getTime() - idleMs;
    const page = await svc.uploads.listIdleUploads(before, cursor);
    for (const idle of page.items) {
      if (!idle.completed && !idle.reservedArchiveId) {
        await svc.uploads.markAborted(idle.accountId, idle.vaultName, idle.uploadId, before);
        failpoint('janitor:after-abort-idle');
      }
      // Read it again: a part or a Complete may have landed since the listing.
      let upload = await svc.uploads.getUpload(idle.accountId, idle.vaultName, idle.uploadId);
      if (!upload || upload.lastActivityMs >= before) continue;
      if (upload.reservedArchiveId && !upload.completed) {
        const vault = await svc.metadata.getVault(upload.accountId, upload.vaultName);
        // A Complete that crashed in a vault since deleted (or replaced) is not finished: its bytes just go.
        if (vault && uploadBelongsTo(upload, vault)) {
          await finishCompletion(svc, vault, upload, upload.reservedArchiveId, await allParts(svc, upload));
          upload = await svc.uploads.getUpload(idle.accountId, idle.vaultName, idle.uploadId);
          if (!upload) continue;
        }
      } else if (!upload.completed && !upload.aborted) continue;
      await purgeUpload(svc, upload);
      purged += 1;
    }
    cursor = page.cursor;
  } while (cursor);
  return purged;
}

// Multipart upload from the browser: the file is read a part at a time, each part's tree hash
// computed here, and the archive's tree hash built from the same per-MiB hashes.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  InitiateMultipartUploadCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { MiB, hex, leafHashes, treeHashOf } from './tree-hash';

/** 1 MiB parts for small files (a visible progress bar), 4 MiB (what fits a Lambda request) or more for large ones. */
export function partSizeFor(size: number): number {
  if (size <= 16 * MiB) return MiB;
  let partSize = 4 * MiB;
  while (partSize * 10_000 < size) partSize *= 2;
  return partSize;
}

export interface UploadResult {
  archiveId: string;
  treeHash: string;
}

export async function uploadFile(
  glacier: GlacierClient,
  vaultName: string,
  file: Blob,
  description: string,
  onProgress: (sent: number, total: number) => void,
): Promise<UploadResult> {
  const partSize = partSizeFor(file.size);
  const { uploadId } = await glacier.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName, archiveDescription: description, partSize: String(partSize) }),
  );
  if (!uploadId) throw new Error('The endpoint started no upload.');
  try {
    const leaves: Uint8Array[] = [];
    onProgress(0, file.size);
    for (let start = 0; start < file.size; start += partSize) {
      const end = Math.min(start + partSize, file.size);
      const body = new Uint8Array(await file.slice(start, end).arrayBuffer());
      const partLeaves = await leafHashes(body);
      leaves.push(...partLeaves);
      await glacier.send(
        new UploadMultipartPartCommand({
          accountId: '-',
          vaultName,
          uploadId,
          range: `bytes ${start}-${end - 1}/*`,
          checksum: hex(await treeHashOf(partLeaves)),
          body,
        }),
      );
      onProgress(end, file.size);
    }
    const treeHash = hex(await treeHashOf(leaves.length > 0 ? leaves : await leafHashes(new Uint8Array())));
    const done = await glacier.send(
      new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(file.size), checksum: treeHash }),
    );
    if (!done.archiveId) throw new Error('The endpoint returned no archive ID.');
    return { archiveId: done.archiveId, treeHash };
  } catch (error) {
    // Leave nothing half-done behind; the original error is the one to show.
    await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId })).catch(() => undefined);
    throw error;
  }
}

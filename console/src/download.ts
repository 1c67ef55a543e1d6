// A completed archive job's output, fetched in ranges (MiB-aligned, so each range's tree hash
// could be checked on its own) and verified against the archive's tree hash before it is saved.
import { GetJobOutputCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { MiB, hex, leafHashes, treeHashOf } from './tree-hash';

export const RANGE_BYTES = 4 * MiB;

export interface Downloaded {
  bytes: Uint8Array;
  treeHash: string;
}

export async function downloadJobOutput(
  glacier: GlacierClient,
  vaultName: string,
  jobId: string,
  size: number,
  onProgress: (received: number, total: number) => void,
): Promise<Downloaded> {
  const bytes = new Uint8Array(size);
  const leaves: Uint8Array[] = [];
  onProgress(0, size);
  for (let start = 0; start < size || (size === 0 && start === 0); start += RANGE_BYTES) {
    if (size === 0) break;
    const end = Math.min(start + RANGE_BYTES, size) - 1;
    const output = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId, range: `bytes=${start}-${end}` }));
    const chunk = output.body ? await output.body.transformToByteArray() : new Uint8Array();
    if (chunk.length !== end - start + 1) throw new Error(`The range ${start}-${end} came back with ${chunk.length} bytes.`);
    bytes.set(chunk, start);
    leaves.push(...(await leafHashes(chunk)));
    onProgress(end + 1, size);
  }
  const treeHash = hex(await treeHashOf(leaves.length > 0 ? leaves : await leafHashes(new Uint8Array())));
  return { bytes, treeHash };
}

/** Hands the bytes to the browser as a file download. */
export function saveFile(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

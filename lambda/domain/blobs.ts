import { PassThrough, type Readable } from 'node:stream';
import { invalidParameter } from './errors';
import { sha256 } from './checksums';
import type { BlobStore } from './ports';

/** A whole Buffer as a stream, for a blob store's `stage`. */
export function streamOf(bytes: Buffer): Readable {
  return new PassThrough().end(bytes);
}

/** Stores a small blob (job output, leaf hashes) from memory and makes it visible. */
export async function putBytes(blobs: BlobStore, key: string, bytes: Buffer, options: { hot?: boolean } = {}): Promise<void> {
  const staged = await blobs.stage(key, streamOf(bytes), { size: bytes.length, sha256: sha256(bytes), hot: options.hot });
  await staged.commit();
}

/** Collects a stream into one Buffer; refuses one longer than `maxBytes`. */
export async function readAll(stream: Readable, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    length += bytes.length;
    if (length > maxBytes) {
      stream.destroy();
      throw invalidParameter(`The body is longer than ${maxBytes} bytes.`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, length);
}

/**
 * Where the per-MiB SHA-256 leaf hashes of a blob are kept: a small sidecar blob in an instant
 * storage class, so that a range's tree hash never waits for a restore of the archive.
 */
export function leavesKey(blobKey: string): string {
  return `${blobKey}.leaves`;
}

/** Deletes blobs of archive bytes with their leaf sidecars (a sidecar that was never written is no error). */
export async function deleteWithLeaves(blobs: BlobStore, keys: string[]): Promise<void> {
  await blobs.deleteMany(keys.flatMap((key) => [key, leavesKey(key)]));
}

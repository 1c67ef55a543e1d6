import { pipeline, type Readable } from 'node:stream';
import { invalidParameter } from './errors';
import { MiB, TreeHashing, sha256 } from './checksums';
import { leavesKey, streamOf } from './blobs';
import type { Services } from './services';
import type { StagedBlob } from './ports';

/** An upload's bytes as the domain takes them, independent of how they arrived. */
export interface IncomingBytes {
  /** The bytes; the stream fails at its end if they don't hash to `sha256`, or if the client goes away. */
  body: Readable;
  /** The exact byte count (the request's Content-Length). */
  size: number;
  /** The signed payload SHA-256 the bytes must have, when known (an import knows only the tree hash). */
  sha256?: Buffer;
}

export function checksumMismatch(expected: string, computed: string) {
  return invalidParameter(`Checksum mismatch: expected ${expected}, computed ${computed}`);
}

/** Archives of at most this many MiB may keep their leaf hashes in their record (256 bytes) instead of beside their blob. */
export const RECORDED_LEAVES_MAX = 8;

/** Bytes staged and checked against their tree hash: nothing is visible until `commit`. */
export interface VerifiedBlob {
  treeHash: string;
  /** The leaves, packed, when they are for the caller to record (`recordLeaves`) rather than staged beside the blob. */
  leaves?: Buffer;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Streams the bytes into the blob store under `key` while computing their tree hash and per-MiB
 * leaves in the same pass, then checks the tree hash. A mismatch, or a body that fails (payload
 * hash, a client gone), leaves nothing staged and rejects. The leaves are staged beside the blob
 * (when there is more than one) so that the tree hash of any MiB-aligned range of it can later
 * be computed without reading it. With `recordLeaves`, the leaves of at most `RECORDED_LEAVES_MAX`
 * MiB are handed back for the caller's record instead: one object and one write fewer per archive.
 */
export async function stageVerified(
  svc: Services,
  key: string,
  bytes: IncomingBytes,
  expectedTreeHash: string,
  options: { recordLeaves?: boolean } = {},
): Promise<VerifiedBlob> {
  const hashing = new TreeHashing();
  pipeline(bytes.body, hashing, () => undefined);
  const blob = await svc.blobs.stage(key, hashing, { size: bytes.size, sha256: bytes.sha256 });
  const computed = hashing.treeHash().toString('hex');
  if (computed !== expectedTreeHash.toLowerCase()) {
    await blob.discard();
    throw checksumMismatch(expectedTreeHash, computed);
  }
  if (options.recordLeaves && hashing.leaves.length > 1 && hashing.leaves.length <= RECORDED_LEAVES_MAX) {
    return { treeHash: computed, leaves: Buffer.concat(hashing.leaves), commit: () => blob.commit(), discard: () => blob.discard() };
  }
  let leaves: StagedBlob | undefined;
  if (bytes.size > MiB) {
    const packed = Buffer.concat(hashing.leaves);
    try {
      leaves = await svc.blobs.stage(leavesKey(key), streamOf(packed), { size: packed.length, sha256: sha256(packed), hot: true });
    } catch (error) {
      await blob.discard();
      throw error;
    }
  }
  return {
    treeHash: computed,
    commit: async () => {
      await leaves?.commit();
      await blob.commit();
    },
    discard: async () => {
      await blob.discard();
      await leaves?.discard();
    },
  };
}

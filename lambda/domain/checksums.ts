import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const MiB = 1024 * 1024;

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Folds leaf hashes into Glacier's tree hash: pairs hashed upward, an odd node carried up. */
export function combineTreeHashes(level: Buffer[]): Buffer {
  if (level.length === 0) return sha256(Buffer.alloc(0));
  let nodes = level;
  while (nodes.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < nodes.length; i += 2) {
      next.push(
        i + 1 < nodes.length
          ? createHash('sha256')
              .update(nodes[i])
              .update(nodes[i + 1])
              .digest()
          : nodes[i],
      );
    }
    nodes = next;
  }
  return nodes[0];
}

/** SHA-256 tree hash over 1 MiB leaves, as Glacier computes it. */
export function treeHash(data: Uint8Array): Buffer {
  const leaves: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += MiB) {
    leaves.push(sha256(data.subarray(offset, Math.min(offset + MiB, data.length))));
  }
  return combineTreeHashes(leaves.length === 0 ? [sha256(Buffer.alloc(0))] : leaves);
}

export function isSha256Hex(value: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(value);
}

/**
 * Passes bytes through unchanged while computing their per-MiB SHA-256 leaves, and from them the
 * tree hash: the one pass over an upload's bytes besides the payload hash.
 */
export class TreeHashing extends Transform {
  readonly leaves: Buffer[] = [];
  private leaf = createHash('sha256');
  private inLeaf = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (let offset = 0; offset < chunk.length;) {
      const take = Math.min(MiB - this.inLeaf, chunk.length - offset);
      this.leaf.update(chunk.subarray(offset, offset + take));
      this.inLeaf += take;
      offset += take;
      if (this.inLeaf === MiB) this.closeLeaf();
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.inLeaf > 0 || this.leaves.length === 0) this.closeLeaf();
    callback();
  }

  /** The tree hash, once the stream has ended. */
  treeHash(): Buffer {
    return combineTreeHashes(this.leaves);
  }

  private closeLeaf(): void {
    this.leaves.push(this.leaf.digest());
    this.leaf = createHash('sha256');
    this.inLeaf = 0;
  }
}

import { createHash } from 'node:crypto';

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

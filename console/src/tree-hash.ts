// Glacier's SHA-256 tree hash, in the browser: SHA-256 of each MiB, then pairs hashed up to one root.
import { Sha256 } from '@aws-crypto/sha256-browser';

export const MiB = 1024 * 1024;

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const hash = new Sha256();
  hash.update(data);
  return hash.digest();
}

/** The SHA-256 of each whole or last partial MiB of `data`. */
export async function leafHashes(data: Uint8Array): Promise<Uint8Array[]> {
  const leaves: Uint8Array[] = [];
  for (let start = 0; start < data.length || start === 0; start += MiB) {
    leaves.push(await sha256(data.subarray(start, Math.min(start + MiB, data.length))));
    if (data.length === 0) break;
  }
  return leaves;
}

export async function treeHashOf(leaves: Uint8Array[]): Promise<Uint8Array> {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]);
      else {
        const pair = new Uint8Array(64);
        pair.set(level[i], 0);
        pair.set(level[i + 1], 32);
        next.push(await sha256(pair));
      }
    }
    level = next;
  }
  return level[0];
}

export const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

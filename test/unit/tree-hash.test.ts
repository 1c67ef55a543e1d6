import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { TreeHash } from '@aws-sdk/sha256-tree-hash';
import { combineTreeHashes, MiB, treeHash } from '../../lambda/domain/checksums';

class Sha256 extends Hash {
  constructor() {
    super('sha256');
  }
}

// The AWS SDK's own tree hash is the oracle.
async function oracle(data: Buffer): Promise<string> {
  const hash = new TreeHash(Sha256, (text: string) => Buffer.from(text, 'utf8'));
  hash.update(data);
  return Buffer.from(await hash.digest()).toString('hex');
}

const SIZES = [1, 2, MiB - 1, MiB, MiB + 1, 2 * MiB, 3 * MiB, 4 * MiB + 1, 5 * MiB + 7];

describe('treeHash', () => {
  it.each(SIZES)('matches the AWS SDK for %i bytes', async (size) => {
    const data = randomBytes(size);
    expect(treeHash(data).toString('hex')).toBe(await oracle(data));
  });

  it('matches the AWS SDK for random sizes', async () => {
    for (let i = 0; i < 8; i += 1) {
      const data = randomBytes(randomInt(1, 9 * MiB));
      expect({ size: data.length, hash: treeHash(data).toString('hex') }).toEqual({ size: data.length, hash: await oracle(data) });
    }
  });

  it('is the plain SHA-256 for at most 1 MiB, and not for more', () => {
    const data = Buffer.alloc(MiB + 1, 7);
    expect(treeHash(data.subarray(0, MiB)).toString('hex')).toBe(createHash('sha256').update(data.subarray(0, MiB)).digest('hex'));
    expect(treeHash(data).toString('hex')).not.toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('reads a view of a larger buffer, not the whole buffer behind it', async () => {
    const backing = randomBytes(3 * MiB);
    const view = backing.subarray(MiB / 2, MiB / 2 + MiB + 3);
    expect(treeHash(view).toString('hex')).toBe(await oracle(Buffer.from(view)));
  });
});

describe('combineTreeHashes', () => {
  // Multipart parts are whole MiBs (a power of two), except the last: their tree hashes fold into the archive's.
  it.each([
    [[MiB], 'one part'],
    [[MiB, MiB, 1], 'two 1 MiB parts and a short last one'],
    [[4 * MiB, 4 * MiB, 4 * MiB], 'three 4 MiB parts'],
    [[2 * MiB, 2 * MiB, 2 * MiB, MiB + 5], 'four parts of 2 MiB with a last of 1 MiB + 5'],
    [[MiB, MiB, MiB, MiB, MiB], 'five 1 MiB parts'],
  ])('of part tree hashes equals the tree hash of the whole: %j (%s)', (sizes) => {
    const parts = sizes.map((size) => randomBytes(size));
    expect(combineTreeHashes(parts.map((part) => treeHash(part))).toString('hex')).toBe(treeHash(Buffer.concat(parts)).toString('hex'));
  });

  it('of per-MiB leaf hashes equals the tree hash', () => {
    const data = randomBytes(7 * MiB + 100);
    const leaves = [];
    for (let offset = 0; offset < data.length; offset += MiB) leaves.push(treeHash(data.subarray(offset, offset + MiB)));
    expect(combineTreeHashes(leaves).equals(treeHash(data))).toBe(true);
  });
});

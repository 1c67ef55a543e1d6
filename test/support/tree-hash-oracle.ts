import { Hash } from '@smithy/hash-node';
import { TreeHash } from '@aws-sdk/sha256-tree-hash';

class Sha256 extends Hash {
  constructor() {
    super('sha256');
  }
}

/** The AWS SDK's own tree hash, fed piece by piece: the oracle for ours. */
export function oracleTreeHash() {
  const hash = new TreeHash(Sha256, (text: string) => Buffer.from(text, 'utf8'));
  return {
    update: (data: Uint8Array) => hash.update(data),
    hex: async () => Buffer.from(await hash.digest()).toString('hex'),
  };
}

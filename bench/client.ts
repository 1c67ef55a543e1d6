import { randomBytes } from 'node:crypto';
import { GlacierClient, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import { TreeHash } from '@aws-sdk/sha256-tree-hash';
import { LOCAL_DEFAULTS } from '../lambda/config';
import { MiB } from './measure';

type ChecksumGenerator = NonNullable<GlacierClientConfig['bodyChecksumGenerator']>;

/**
 * The SDK hashes every upload body twice before sending it. The bench cycles through a few
 * bodies, so their hashes are computed once and remembered: the client then spends its CPU
 * on sending, not hashing, and leaves the second core to the server.
 */
function rememberingChecksums(): ChecksumGenerator {
  const known = new WeakMap<object, Promise<[string, string]>>();
  return (request, { sha256, utf8Decoder }) => {
    const body = request.body as Uint8Array;
    let hashes = known.get(body);
    if (!hashes) {
      const content = new sha256();
      const tree = new TreeHash(sha256, utf8Decoder);
      content.update(body);
      tree.update(body);
      hashes = Promise.all([content.digest(), tree.digest()]).then(([c, t]) => [
        Buffer.from(c).toString('hex'),
        Buffer.from(t).toString('hex'),
      ]);
      known.set(body, hashes);
    }
    return hashes;
  };
}

export function benchClient(endpoint: string): GlacierClient {
  return new GlacierClient({
    endpoint,
    region: LOCAL_DEFAULTS.region,
    credentials: { accessKeyId: LOCAL_DEFAULTS.accessKeyId, secretAccessKey: LOCAL_DEFAULTS.secretAccessKey },
    maxAttempts: 1,
    bodyChecksumGenerator: rememberingChecksums(),
  });
}

/** Random bodies to cycle through: more than the concurrency, so no two requests in flight share one. */
export function randomBodies(count: number, bytes = 4 * MiB): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(bytes));
}

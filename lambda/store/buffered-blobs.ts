// Temporary: the buffered blob operations the domain calls, over a streamed BlobStore, until the
// domain streams its bodies itself.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, BufferedBlobStore } from '../domain/ports';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function bufferedBlobs(store: BlobStore): BufferedBlobStore {
  return {
    async put(key, body, sha256, options) {
      if (!createHash('sha256').update(body).digest().equals(sha256)) throw new Error(`BadDigest: the SHA-256 of ${key} does not match`);
      const staged = await store.stage(key, Readable.from([body]), { size: body.length, sha256, hot: options?.hot });
      await staged.commit();
    },
    get: async (key, range) => collect(await store.get(key, range)),
    restore: (key, tier, days) => store.restore(key, tier, days),
    restoreStatus: (key) => store.restoreStatus(key),
    delete: (key) => store.delete(key),
    list: (prefix) => store.list(prefix),
    deleteMany: (keys) => store.deleteMany(keys),
  };
}

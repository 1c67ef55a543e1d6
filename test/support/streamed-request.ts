import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { combineTreeHashes } from '../../lambda/domain/checksums';
import { ROOT_CREDENTIALS } from './local-server';

const MiB = 1024 * 1024;

/**
 * A body of any size made on the fly, the same every time for the same size and seed: MiB i is
 * a random block with i written into its first bytes, so no two leaves are alike.
 */
export function syntheticBody(size: number, seed = 1): { stream(): Readable; size: number } {
  const block = createHash('sha512').update(`seed ${seed}`).digest();
  const base = Buffer.alloc(MiB);
  for (let offset = 0; offset < MiB; offset += block.length) block.copy(base, offset);
  const mib = (index: number) => {
    const chunk = Buffer.from(base);
    chunk.writeUInt32BE(index, 0);
    chunk.writeUInt32BE(seed, 4);
    return chunk;
  };
  return {
    size,
    stream: () =>
      Readable.from(
        (function* () {
          for (let offset = 0, index = 0; offset < size; offset += MiB, index += 1) {
            const chunk = mib(index);
            yield offset + MiB <= size ? chunk : chunk.subarray(0, size - offset);
          }
        })(),
      ),
  };
}

/** The payload SHA-256 and the tree hash of a stream, in one pass. */
export async function hashesOf(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; treeHash: string; size: number }> {
  const payload = createHash('sha256');
  const leaves: Buffer[] = [];
  let leaf = createHash('sha256');
  let inLeaf = 0;
  let size = 0;
  for await (const chunk of stream) {
    payload.update(chunk);
    size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(MiB - inLeaf, chunk.length - offset);
      leaf.update(chunk.subarray(offset, offset + take));
      inLeaf += take;
      offset += take;
      if (inLeaf === MiB) {
        leaves.push(leaf.digest());
        leaf = createHash('sha256');
        inLeaf = 0;
      }
    }
  }
  if (inLeaf > 0 || leaves.length === 0) leaves.push(leaf.digest());
  return { sha256: payload.digest('hex'), treeHash: combineTreeHashes(leaves).toString('hex'), size };
}

/** Signs with a known payload hash and streams the body: for bodies too large to hold in memory. */
export async function streamedSignedRequest(
  baseUrl: string,
  req: { method: string; path: string; headers?: Record<string, string>; body: Readable; size: number; sha256: string },
): Promise<IncomingMessage> {
  const url = new URL(baseUrl);
  const signer = new SignatureV4({
    service: 'glacier',
    region: 'us-east-1',
    credentials: ROOT_CREDENTIALS,
    sha256: Hash.bind(null, 'sha256'),
  });
  const headers = {
    host: url.host,
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': req.sha256,
    'content-length': String(req.size),
    ...req.headers,
  };
  const signed = await signer.sign({
    method: req.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: req.path,
    query: {},
    headers,
  });
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: signed.headers },
      resolve,
    );
    outgoing.on('error', reject);
    req.body.on('error', (error) => outgoing.destroy(error));
    req.body.pipe(outgoing);
  });
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** A signed GET, its response left to stream (a whole job output, say). */
export function streamedGet(baseUrl: string, path: string): Promise<IncomingMessage> {
  return streamedSignedRequest(baseUrl, { method: 'GET', path, body: Readable.from([]), size: 0, sha256: EMPTY_SHA256 });
}

/** Reads a response to its end; `onChunk` sees each piece (so large bodies need not be kept). */
export async function drain(response: IncomingMessage, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
  const kept: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (onChunk) onChunk(chunk);
    else kept.push(chunk);
  }
  return Buffer.concat(kept);
}

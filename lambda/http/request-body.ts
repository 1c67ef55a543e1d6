import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { GlacierError, invalidParameter } from '../domain/errors';
import type { RequestBody } from './types';

/** The most a JSON document may take, unless an operation says otherwise. */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;

export const payloadHashMismatch = () =>
  new GlacierError('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");

/** Counts and hashes bytes as they pass; fails at the end on a different count or hash. An empty `sha256` checks the count only. */
class Verifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private received = 0;

  constructor(
    private readonly length: number,
    private readonly sha256: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.length) {
      callback(invalidParameter(`The request body is longer than its Content-Length of ${this.length} bytes.`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.received !== this.length) {
      callback(invalidParameter(`The request body ended after ${this.received} of its ${this.length} bytes.`));
    } else if (this.sha256 !== '' && this.hash.digest('hex') !== this.sha256) {
      callback(payloadHashMismatch());
    } else {
      callback();
    }
  }
}

function tooLarge(length: number, maxBytes: number) {
  return invalidParameter(`The request body (${length} bytes) is larger than the ${maxBytes} bytes this operation takes.`);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function onceOnly(): () => void {
  let used = false;
  return () => {
    if (used) throw new Error('A request body can be read once.');
    used = true;
  };
}

/** A body already in memory (a Lambda event's, a test's). */
export function bufferedBody(bytes: Buffer, sha256: string): RequestBody {
  const use = onceOnly();
  return {
    length: bytes.length,
    sha256: sha256.toLowerCase(),
    stream() {
      use();
      const verifier = new Verifier(bytes.length, sha256.toLowerCase());
      verifier.end(bytes);
      return verifier;
    },
    async read(maxBytes = JSON_BODY_MAX_BYTES) {
      if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
      use();
      if (sha256 !== '' && createHash('sha256').update(bytes).digest('hex') !== sha256.toLowerCase()) throw payloadHashMismatch();
      return bytes;
    },
  };
}

/** The body of a node:http request, read from the socket only when an operation asks for it. */
export function streamedBody(req: IncomingMessage, length: number, sha256: string): RequestBody {
  const use = onceOnly();
  const stream = () => {
    use();
    const verifier = new Verifier(length, sha256.toLowerCase());
    pipeline(req, verifier, () => undefined);
    return verifier;
  };
  return {
    length,
    sha256: sha256.toLowerCase(),
    stream,
    async read(maxBytes = JSON_BODY_MAX_BYTES) {
      if (length > maxBytes) throw tooLarge(length, maxBytes);
      return collect(stream());
    },
  };
}

/** A count of bytes held in memory at once, across requests. */
export class BodyBudget {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  take(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}

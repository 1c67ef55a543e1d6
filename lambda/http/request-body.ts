import { PassThrough, type Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { GlacierError, invalidParameter } from '../domain/errors';
import type { RequestBody } from './types';

const DEFAULT_READ_LIMIT = 1024 * 1024;

function payloadMismatch() {
  return new GlacierError('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

/** A body already in memory (the Lambda event's), checked against its signed hash when it is read. */
export function bufferedBody(bytes: Buffer, sha256: string): RequestBody {
  const claimed = sha256.toLowerCase();
  const matches = () => createHash('sha256').update(bytes).digest('hex') === claimed;
  return {
    length: bytes.length,
    sha256: claimed,
    stream(): Readable {
      const stream = new PassThrough();
      if (matches()) return stream.end(bytes);
      // The bytes go through, and the stream fails at their end, as it does for bytes that arrive from a socket.
      stream.write(bytes, () => stream.destroy(payloadMismatch()));
      return stream;
    },
    async read(maxBytes = DEFAULT_READ_LIMIT) {
      if (bytes.length > maxBytes) throw invalidParameter(`The request body is ${bytes.length} bytes; at most ${maxBytes} are accepted.`);
      if (!matches()) throw payloadMismatch();
      return bytes;
    },
  };
}

// Upload bytes as the domain takes them, made from a Buffer: what a request body hands the
// operations, for unit tests of the domain.
import { PassThrough, Readable } from 'node:stream';
import { GlacierError } from '../../lambda/domain/errors';
import { sha256 } from '../../lambda/domain/checksums';
import type { IncomingBytes } from '../../lambda/domain/staging';

/**
 * The bytes with their payload hash (by default the right one). Like a request body, the
 * stream fails at its end if they don't hash to it.
 */
export function incoming(bytes: Buffer, options: { sha256?: Buffer; size?: number } = {}): IncomingBytes {
  const claimed = options.sha256 ?? sha256(bytes);
  const body = new PassThrough();
  if (claimed.equals(sha256(bytes))) body.end(bytes);
  else {
    body.write(bytes);
    setImmediate(() => body.destroy(payloadMismatch()));
  }
  return { body, size: options.size ?? bytes.length, sha256: claimed };
}

export function payloadMismatch(): GlacierError {
  return new GlacierError('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

/** Bytes whose sender goes away after `after` of them. */
export function cutShort(bytes: Buffer, after: number): IncomingBytes {
  return {
    body: Readable.from(
      (async function* () {
        yield bytes.subarray(0, after);
        throw new Error('aborted');
      })(),
      { objectMode: false },
    ),
    size: bytes.length,
    sha256: sha256(bytes),
  };
}

import type { Readable } from 'node:stream';

export interface RequestBody {
  /** Content-Length: the exact byte count the request carries (a request without one has length 0 and no bytes). */
  readonly length: number;
  /** The signed x-amz-content-sha256, lower-case hex. */
  readonly sha256: string;
  /**
   * The bytes as they arrive; may be called once. The stream fails at its end with
   * InvalidSignatureException "The provided 'x-amz-content-sha256' header does not match what
   * was computed." if the bytes don't hash to `sha256`, and with an error if the client goes
   * away or sends a different count: a consumer that waits for the end never commits
   * unverified bytes.
   */
  stream(): Readable;
  /** The whole body, verified as above; refuses (400 InvalidParameterValueException) more than `maxBytes`, default 1 MiB. For JSON documents. */
  read(maxBytes?: number): Promise<Buffer>;
}

export interface HttpRequest {
  method: string;
  /** The one canonical path (percent-encoded as sent, no stage or base path): what is routed. */
  path: string;
  /** The path the signature covers (the canonical path with any stage or base path before it). */
  signedPath: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Names of headers the request carried more than once. */
  repeatedHeaders: string[];
  body: RequestBody;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** A Readable for streamed output (job output); its length is in headers['content-length']. */
  body: Buffer | Readable;
  /** The operation the request was routed to, for metrics and logs; never sent to the client. */
  operation?: string;
}

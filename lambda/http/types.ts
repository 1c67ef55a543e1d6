export interface HttpRequest {
  method: string;
  /** Path for routing: percent-encoded as sent, without an API Gateway stage. */
  path: string;
  /** Path exactly as the client signed it, with any stage or base path. */
  signedPath: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Names of headers the request carried more than once. */
  repeatedHeaders: string[];
  body: Buffer;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The operation the request was routed to, for metrics and logs; never sent to the client. */
  operation?: string;
}

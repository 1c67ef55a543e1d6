import type { Readable } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { LAMBDA_MAX_BODY_BYTES } from '../config';
import { invalidParameter } from '../domain/errors';
import { newRequestId } from '../domain/ids';
import type { Api } from './api';
import { belowPrefix, canonicalPath, segmentCount } from './canonical-path';
import { bufferedBody } from './request-body';
import { errorResponse, jsonLogger, type Logger } from './responses';
import type { BufferedResponse, HttpRequest, HttpResponse } from './types';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

/** Present values only; built with fromEntries so that a name like `__proto__` stays a plain name. */
function defined(
  values: Record<string, string | undefined> | null | undefined,
  key: (name: string) => string = (name) => name,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {})
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => [key(name), value]),
  );
}

/** Headers the client sent: CloudFront's own request ID (edge-optimized APIs) is not the client's, so not among what it signed. */
function clientHeaders(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const lowerCase = defined(headers, (name) => name.toLowerCase());
  delete lowerCase['x-amz-cf-id'];
  return lowerCase;
}

function decodedBody(raw: string | null | undefined, base64: boolean): Buffer {
  if (!raw) return Buffer.alloc(0);
  return base64 ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

/**
 * Turns a REST API (v1) or HTTP API (v2) proxy event into the request the API handles. The
 * path the client called (with a stage or base path) is checked as the one canonical path; what
 * is routed is that same path below its stage or base path.
 */
export function fromApiGatewayEvent(event: ApiGatewayEvent): HttpRequest {
  if (isV2(event)) {
    const signedPath = canonicalPath(event.rawPath, event.rawPath, { consoleDirectory: true });
    const stage = event.requestContext.stage;
    const staged = stage && stage !== '$default' && signedPath.startsWith(`/${stage}/`);
    const headers = clientHeaders(event.headers);
    const bytes = decodedBody(event.body, event.isBase64Encoded);
    headers['content-length'] ??= String(bytes.length);
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path: belowPrefix(signedPath, staged ? 1 : 0),
      signedPath,
      query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
      headers,
      repeatedHeaders: [],
      body: bufferedBody(bytes, headers['x-amz-content-sha256'] ?? ''),
    };
  }
  const headers = clientHeaders(event.headers);
  const bytes = decodedBody(event.body, event.isBase64Encoded);
  // REST APIs leave Content-Length out of the event, but SDKs sign it: it is the length of the
  // body API Gateway received, which is this one.
  headers['content-length'] ??= String(bytes.length);
  const repeatedHeaders: string[] = [];
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 1) repeatedHeaders.push(name.toLowerCase());
  }
  // requestContext.path is the path the client called: with the stage on an execute-api URL,
  // with the base path on a custom domain. `path` only tells how many leading segments those are.
  const calledPath = event.requestContext?.path ?? event.path;
  const signedPath = canonicalPath(calledPath, calledPath, { consoleDirectory: true });
  const prefix = segmentCount(signedPath) - segmentCount(event.path);
  if (prefix < 0)
    throw invalidParameter(`The request-target ${JSON.stringify(signedPath)} is refused: it does not end with its resource path.`);
  return {
    method: event.httpMethod.toUpperCase(),
    path: belowPrefix(signedPath, prefix),
    signedPath,
    query: defined(event.queryStringParameters),
    headers,
    repeatedHeaders,
    body: bufferedBody(bytes, headers['x-amz-content-sha256'] ?? ''),
  };
}

async function collect(stream: Readable, maxBytes: number): Promise<Buffer[] | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return chunks;
}

/** A response whose streamed body is kept in the pieces it was read in. */
type CollectedResponse = Omit<HttpResponse, 'body'> & { body: Buffer | Buffer[] };

async function collectedResponse(response: HttpResponse, maxBytes: number, log: Logger): Promise<CollectedResponse> {
  if (Buffer.isBuffer(response.body)) return response as BufferedResponse;
  const declared = Number(response.headers['content-length'] ?? 0);
  const body = declared > maxBytes ? undefined : await collect(response.body, maxBytes);
  if (body === undefined) {
    if (declared > maxBytes) response.body.destroy();
    const size = declared > 0 ? `${declared} bytes` : `more than ${maxBytes} bytes`;
    const error = invalidParameter(
      `The response is ${size}; this endpoint returns at most ${maxBytes} bytes per request. ` +
        'Ask for it in parts with a Range header (bytes=start-end).',
    );
    return { ...errorResponse(error, response.headers['x-amzn-requestid'] ?? newRequestId(), log), operation: response.operation };
  }
  return { ...response, body };
}

/** A response as one Buffer: a streamed body is collected up to what a Lambda response carries. */
export async function bufferedResponse(response: HttpResponse, maxBytes: number, log: Logger = jsonLogger): Promise<BufferedResponse> {
  const collected = await collectedResponse(response, maxBytes, log);
  return Array.isArray(collected.body) ? { ...collected, body: Buffer.concat(collected.body) } : (collected as BufferedResponse);
}

/**
 * Where the pieces of a body are joined to be encoded, kept from one invocation to the next: a
 * new buffer of megabytes for every response costs more (fresh pages) than encoding it. Joined
 * and encoded in one synchronous step, so that no other invocation can write it in between.
 */
let joined: Buffer | undefined;

function encoded(body: Buffer | Buffer[], encoding: 'base64' | 'utf8'): string {
  if (Buffer.isBuffer(body)) return body.toString(encoding);
  const size = byteLength(body);
  if (!joined || joined.length < size) joined = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for (const chunk of body) offset += chunk.copy(joined, offset);
  return joined.toString(encoding, 0, size);
}

const byteLength = (body: Buffer | Buffer[]) => (Buffer.isBuffer(body) ? body.length : body.reduce((sum, chunk) => sum + chunk.length, 0));

export function toApiGatewayResult(response: CollectedResponse): APIGatewayProxyResult {
  const binary = byteLength(response.body) > 0 && !/^(application\/json|text\/)/.test(response.headers['content-type'] ?? '');
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: encoded(response.body, binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/** The API's answer to an event; Glacier's error for one that maps to no single canonical request. */
export async function answerEvent(api: () => Promise<Api>, event: ApiGatewayEvent, log: Logger): Promise<HttpResponse> {
  let request: HttpRequest;
  try {
    request = fromApiGatewayEvent(event);
  } catch (error) {
    return errorResponse(error, newRequestId(), log);
  }
  return (await api())(request);
}

export function apiGatewayHandler(api: () => Promise<Api>, log: Logger = jsonLogger) {
  return async (event: ApiGatewayEvent): Promise<APIGatewayProxyResult> =>
    toApiGatewayResult(await collectedResponse(await answerEvent(api, event, log), LAMBDA_MAX_BODY_BYTES, log));
}

import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import type { Api } from './api';
import { readAll } from '../domain/blobs';
import { bufferedBody } from './request-body';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
import type { HttpRequest, HttpResponse } from './types';

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

const lowerCaseHeaders = (headers: Record<string, string | undefined> | null | undefined) => defined(headers, (name) => name.toLowerCase());

function body(raw: string | null | undefined, base64: boolean): Buffer {
  if (!raw) return Buffer.alloc(0);
  return base64 ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

/** Turns a REST API (v1) or HTTP API (v2) proxy event into the request the API handles. */
export function fromApiGatewayEvent(event: ApiGatewayEvent): HttpRequest {
  if (isV2(event)) {
    const stage = event.requestContext.stage;
    const stagePrefix = stage && stage !== '$default' ? `/${stage}` : '';
    const path = stagePrefix && event.rawPath.startsWith(`${stagePrefix}/`) ? event.rawPath.slice(stagePrefix.length) : event.rawPath;
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path,
      signedPath: event.rawPath,
      query: Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
      headers: lowerCaseHeaders(event.headers),
      repeatedHeaders: [],
      body: bufferedBody(body(event.body, event.isBase64Encoded), event.headers['x-amz-content-sha256'] ?? EMPTY_SHA256),
    };
  }
  const headers = lowerCaseHeaders(event.headers);
  const decoded = body(event.body, event.isBase64Encoded);
  // REST APIs leave Content-Length out of the event, but SDKs sign it: it is the length of the
  // body API Gateway received, which is this one.
  headers['content-length'] ??= String(decoded.length);
  const repeatedHeaders: string[] = [];
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 1) repeatedHeaders.push(name.toLowerCase());
  }
  const query = defined(event.queryStringParameters);
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    // requestContext.path is the path the client called: with the stage on an execute-api
    // URL, with the base path on a custom domain.
    signedPath: event.requestContext?.path ?? event.path,
    query,
    headers,
    repeatedHeaders,
    body: bufferedBody(decoded, headers['x-amz-content-sha256'] ?? EMPTY_SHA256),
  };
}

export async function toApiGatewayResult(response: HttpResponse): Promise<APIGatewayProxyResult> {
  const bytes = Buffer.isBuffer(response.body) ? response.body : await readAll(response.body);
  const binary = bytes.length > 0 && !/^(application\/json|text\/)/.test(response.headers['content-type'] ?? '');
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: binary ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded: binary,
  };
}

export function apiGatewayHandler(api: () => Promise<Api>) {
  return async (event: ApiGatewayEvent): Promise<APIGatewayProxyResult> =>
    toApiGatewayResult(await (await api())(fromApiGatewayEvent(event)));
}

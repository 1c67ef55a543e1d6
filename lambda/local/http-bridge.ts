import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { invalidParameter } from '../domain/errors';
import { newRequestId } from '../domain/ids';
import { errorResponse, type Logger } from '../http/responses';

/** Past the limit, this much more is read and dropped so the client sees the answer, not a reset. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

type Body = { ok: true; body: Buffer } | { ok: false; received: number };

function readBody(req: IncomingMessage, maxBytes: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) chunks.push(chunk);
      else if (received > maxBytes + DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on('end', () => resolve(received <= maxBytes ? { ok: true, body: Buffer.concat(chunks) } : { ok: false, received }));
    req.on('close', () => {
      if (!req.complete) resolve({ ok: false, received });
    });
    req.on('error', reject);
  });
}

/** The REST API (v1) proxy event that API Gateway would send for this request. */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const multiValueHeaders: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1];
  }
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multiValueQuery[name] ??= []).push(value);
  const query = Object.fromEntries(Object.entries(multiValueQuery).map(([name, values]) => [name, values[values.length - 1]]));
  const requestId = newRequestId();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiValueQuery).length ? multiValueQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: undefined,
      httpMethod: req.method ?? 'GET',
      identity: { sourceIp: req.socket.remoteAddress ?? '' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      stage: '$default',
    },
  };
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>), 'content-length': String(body.length) });
  res.end(body);
}

/** node:http -> API Gateway event -> the Lambda handler -> node:http, with API Gateway's body limit. */
export function bridge(handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>, maxBodyBytes: number, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const read = await readBody(req, maxBodyBytes);
      if (!read.ok) {
        const error = invalidParameter(
          `The request body (${read.received} bytes) exceeds this endpoint's limit of ${maxBodyBytes} bytes. ` +
            'Upload larger archives with a multipart upload.',
        );
        const response = errorResponse(error, newRequestId(), log);
        res.writeHead(response.statusCode, { ...response.headers, connection: 'close' });
        res.end(response.body);
        return;
      }
      send(res, await handler(toApiGatewayEvent(req, read.body)));
    } catch (error) {
      const response = errorResponse(error, newRequestId(), log);
      if (!res.headersSent) res.writeHead(response.statusCode, response.headers);
      res.end(response.body);
    }
  };
}

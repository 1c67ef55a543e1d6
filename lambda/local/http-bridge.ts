import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { GlacierError, invalidParameter } from '../domain/errors';
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
  // Built with fromEntries: names such as `constructor` or `__proto__` are the client's to choose.
  const distinct = Object.entries(req.headersDistinct).filter((entry): entry is [string, string[]] => entry[1] !== undefined);
  const multiValueHeaders = Object.fromEntries(distinct);
  const headers = Object.fromEntries(distinct.map(([name, values]) => [name, values[values.length - 1]]));
  const grouped = new Map<string, string[]>();
  for (const [name, value] of url.searchParams) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  const multiValueQuery = Object.fromEntries(grouped);
  const query = Object.fromEntries([...grouped].map(([name, values]) => [name, values[values.length - 1]]));
  const requestId = newRequestId();
  // What the client signed: the path as sent, before URL parsing resolves dot segments.
  const sentPath = req.url?.startsWith('/') ? req.url.split('?')[0] : url.pathname;
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
      path: sentPath,
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

function clientErrorFor(error: NodeJS.ErrnoException): GlacierError {
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return invalidParameter(`The request's headers are larger than the ${maxHeaderSize} bytes this endpoint accepts.`);
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new GlacierError('RequestTimeoutException', 'The request was not received in full in time.');
  return invalidParameter(
    `The request is not well-formed HTTP (${error.code ?? error.message}): check the header names and values, and that the body is exactly Content-Length bytes.`,
  );
}

/**
 * node:http's answer to bytes it cannot parse as a request (headers too large, control
 * characters, a body longer than its Content-Length), in Glacier's error shape rather than a
 * bare status line. Like node's own, it is sent only if no answer has started on the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const response = errorResponse(clientErrorFor(error), newRequestId(), log);
  const headers = { ...response.headers, 'content-length': String(response.body.length), connection: 'close' };
  const head = [
    `HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode]}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), response.body]));
}

import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { GlacierError, invalidParameter } from '../domain/errors';
import { newRequestId } from '../domain/ids';
import type { Api } from '../http/api';
import { canonicalTarget } from '../http/canonical-path';
import { streamedBody } from '../http/request-body';
import { errorResponse, type Logger } from '../http/responses';
import type { HttpRequest, HttpResponse } from '../http/types';

/**
 * A body the answer left unread is read and dropped, up to this much and this long, so that
 * the client sees the answer rather than a reset; past either the connection is closed.
 */
const DRAIN_BYTES = 8 * 1024 * 1024;
const DRAIN_MS = 10_000;

/** The request as the API takes it, straight from node:http: the body stays on the socket until an operation reads it. */
export function fromIncomingMessage(req: IncomingMessage): HttpRequest {
  if (req.headers['transfer-encoding'] !== undefined) {
    throw new GlacierError(
      'MissingParameterValueException',
      'Required parameter missing: Content-Length. Send a request body with Content-Length, not with Transfer-Encoding.',
    );
  }
  const { path, rawQuery } = canonicalTarget(req.url ?? '');
  // Built with fromEntries: names such as `constructor` or `__proto__` are the client's to choose.
  const distinct = Object.entries(req.headersDistinct).filter((entry): entry is [string, string[]] => entry[1] !== undefined);
  const headers = Object.fromEntries(distinct.map(([name, values]) => [name, values[values.length - 1]]));
  const length = Number(headers['content-length'] ?? 0);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    signedPath: path,
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    headers,
    repeatedHeaders: distinct.filter(([, values]) => values.length > 1).map(([name]) => name),
    body: streamedBody(req, length, headers['x-amz-content-sha256'] ?? ''),
  };
}

/** Drops what is left of a body nobody read, within a budget, so that keep-alive goes on or the connection closes. */
function drainUnread(req: IncomingMessage): void {
  if (req.complete) return;
  let drained = 0;
  const timer = setTimeout(() => req.destroy(), DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) req.destroy();
  });
  req.once('close', () => clearTimeout(timer));
  // An operation that refused the body after taking its stream (a part longer than the part
  // size) left it piped into a reader nobody reads, whose backpressure would hold it paused.
  req.unpipe();
  req.resume();
}

function write(req: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
  const headers = { ...response.headers };
  res.once('finish', () => drainUnread(req));
  if (Buffer.isBuffer(response.body)) {
    res.writeHead(response.statusCode, { ...headers, 'content-length': String(response.body.length) });
    res.end(response.body);
    return;
  }
  res.writeHead(response.statusCode, headers);
  // Backpressure from the client's socket; a client that goes away destroys the source.
  pipeline(response.body, res, () => undefined);
}

/** node:http -> the API -> node:http, bytes as they come, in both directions. */
export function bridge(api: Api, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      let request: HttpRequest;
      try {
        request = fromIncomingMessage(req);
      } catch (error) {
        write(req, res, errorResponse(error, newRequestId(), log));
        return;
      }
      write(req, res, await api(request));
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
 * bare status line. An answer in progress on the connection goes out in full first: a request
 * that was served is never left without its answer because of the bytes that followed it. But
 * when the request in progress has not arrived in full (the client went away mid-body, so the
 * connection ended early), the connection is closed at once: its body fails, and whatever the
 * operation staged is discarded, instead of waiting for an answer that can't come.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  const inFlight = (socket as { _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req && !inFlight.req.complete) {
    socket.destroy();
    return;
  }
  if (inFlight && !inFlight.writableFinished) {
    inFlight.once('finish', () => answerClientError(error, socket, log));
    inFlight.once('close', () => {
      if (!inFlight.writableFinished) socket.destroy();
    });
    return;
  }
  if (!socket.writable) {
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

/**
 * Holds the server to `max` connections at once. A connection over the limit takes the place of
 * the oldest one with no request in progress (half-open, slowly sending headers, idle between
 * requests, draining an answered request's body); only when every connection is serving a
 * request is the newcomer closed. So connections that never finish a request can't lock others out.
 */
export function limitConnections(server: Server, max: number): void {
  const busy = new Map<Socket, boolean>();
  server.on('connection', (socket: Socket) => {
    if (busy.size >= max) {
      const idle = [...busy].find(([, serving]) => !serving)?.[0];
      if (!idle) {
        socket.destroy();
        return;
      }
      busy.delete(idle);
      idle.destroy();
    }
    busy.set(socket, false);
    socket.once('close', () => busy.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (!busy.has(socket)) return;
    busy.set(socket, true);
    res.once('close', () => {
      if (busy.has(socket)) busy.set(socket, false);
    });
  });
}

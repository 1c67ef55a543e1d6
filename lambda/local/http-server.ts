// The node:http server in front of the request path, for `npm start` and the data plane's
// container alike: the socket's stream goes to the API as it arrives, headers are checked first.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from '../http/api';
import type { Logger } from '../http/responses';
import { answerClientError, bridge, limitConnections } from './http-bridge';

export interface HttpServerSettings {
  host: string;
  port: number;
  /** Connections served at once. */
  maxConnections: number;
  /** A request's headers must arrive in full within this. */
  headersTimeoutMs: number;
  /** A connection on which no byte moves for this long, mid-request or between requests, is closed. */
  bodyIdleTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveTimeoutMs: number;
  /** Answered 200 before any routing, touching no store (a load balancer's health check). */
  healthCheckPath?: string;
}

export interface HttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startHttpServer(api: Api, settings: HttpServerSettings, log: Logger): Promise<HttpServer> {
  const serve = bridge(api, log);
  // Once closing, a connection ends with the response in flight on it: else a client keeping it
  // open (keep-alive) would hold the server, and a SIGTERM'd process, until the keep-alive timeout.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const endAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.shouldKeepAlive = false;
    const socket = res.socket;
    res.once('finish', () => socket?.end());
  };
  // Slow headers are cut off after headersTimeout (checked every second); a body may take as
  // long as it needs (4 GiB at a slow link) but never sits idle past the idle timeout.
  const server = createServer({ connectionsCheckingInterval: 1_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (closing) endAfter(res);
    if (settings.healthCheckPath && req.method === 'GET' && req.url === settings.healthCheckPath) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      return;
    }
    void serve(req, res);
  });
  server.headersTimeout = settings.headersTimeoutMs;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  limitConnections(server, settings.maxConnections);
  server.setTimeout(settings.bodyIdleTimeoutMs, (socket) => socket.destroy());
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of inFlight) endAfter(res);
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

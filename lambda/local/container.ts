// The data plane's entry point (the Dockerfile runs its bundle): the API on node:http with the
// DynamoDB and S3 adapters, configured from the environment as the api function is, with
// Glacier's own body limit.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readContainerConfig, type Config } from '../config';
import { createApi, type Api } from '../http/api';
import { apiGatewayHandler } from '../http/apigw';
import { log, metrics, observedApi } from '../observability';
import { createIdentityStore, createKeyStore, createServices } from '../wiring';
import { CONTAINER_MAX_BODY_BYTES, CONTAINER_PORT, CONTAINER_TIMEOUTS, HEALTH_CHECK_PATH } from './container-settings';
import { answerClientError, bridge } from './http-bridge';

export interface Container {
  url: string;
  close(): Promise<void>;
}

/** One log line per request with the functions' fields; metrics come from the load balancer (see lib/data-plane.ts). */
function observed(api: Api): Api {
  const logged = observedApi(api);
  return async (request) => {
    const response = await logged(request);
    // The functions flush per invocation; here nothing would, so what observedApi records is dropped per request.
    metrics.clearMetrics();
    metrics.clearDimensions();
    return response;
  };
}

/** Serves until closed. */
export async function startContainer(config: Config): Promise<Container> {
  const identities = createIdentityStore(config);
  const api = observed(createApi({ svc: createServices(config), keys: await createKeyStore(config, identities), users: identities, log }));
  const serve = bridge(
    apiGatewayHandler(async () => api),
    config.maxBodyBytes,
    log,
  );
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // The health check reads nothing and touches no store: a store outage is not a reason to replace every task.
    if (req.method === 'GET' && req.url === HEALTH_CHECK_PATH) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      return;
    }
    void serve(req, res);
  });
  server.keepAliveTimeout = CONTAINER_TIMEOUTS.keepAliveMs;
  server.headersTimeout = CONTAINER_TIMEOUTS.headersMs;
  server.requestTimeout = CONTAINER_TIMEOUTS.requestMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.local.port, config.local.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function main(): Promise<void> {
  const container = await startContainer(readContainerConfig({ port: CONTAINER_PORT, maxBodyBytes: CONTAINER_MAX_BODY_BYTES }));
  log('serving', { url: container.url }, 'info');
  // ECS stops a task with SIGTERM once the load balancer has drained it; what is still in flight finishes first.
  process.once('SIGTERM', () => void container.close().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error) => {
    log('could not start', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

// The data plane's entry point (the Dockerfile runs its bundle): the API on node:http with the
// DynamoDB and S3 adapters, configured from the environment as the api function is, with
// Glacier's own body limit.
import { ConfigError, readContainerConfig, type Config } from '../config';
import { createApi, type Api } from '../http/api';
import { log, metrics, observedApi } from '../observability';
import { createIdentityStore, createKeyStore, createServices } from '../wiring';
import { CONTAINER_MAX_BODY_BYTES, CONTAINER_PORT, CONTAINER_TIMEOUTS, HEALTH_CHECK_PATH } from './container-settings';
import { startHttpServer } from './http-server';

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
  return startHttpServer(
    api,
    {
      host: config.local.host,
      port: config.local.port,
      maxConnections: config.local.maxConnections,
      headersTimeoutMs: CONTAINER_TIMEOUTS.headersMs,
      bodyIdleTimeoutMs: CONTAINER_TIMEOUTS.idleMs,
      keepAliveTimeoutMs: CONTAINER_TIMEOUTS.keepAliveMs,
      // The health check reads nothing and touches no store: a store outage is not a reason to replace every task.
      healthCheckPath: HEALTH_CHECK_PATH,
    },
    log,
  );
}

async function main(): Promise<void> {
  const container = await startContainer(readContainerConfig({ port: CONTAINER_PORT, maxBodyBytes: CONTAINER_MAX_BODY_BYTES }));
  log('serving', { url: container.url }, 'info');
  // ECS stops a task with SIGTERM once the load balancer has drained it; what is still in flight finishes first.
  process.once('SIGTERM', () => void container.close().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error) => {
    // A missing or wrong variable is said plainly; anything else keeps its stack for whoever reads the logs.
    const detail = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    log('could not start', { error: detail });
    process.exit(1);
  });
}

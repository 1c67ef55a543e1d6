// Lambda entry point for GetJobOutput behind API Gateway's response streaming (see lib/api.ts); same request path as api.ts.
import { readConfig } from '../config';
import { createApi, type Api } from '../http/api';
import { streamingApiHandler } from '../http/apigw-stream';
import { log, logger, metrics, observedApi } from '../observability';
import { createIdentityStore, createKeyStore, createServices } from '../wiring';

const config = readConfig();
let api: Promise<Api> | undefined;

async function build(): Promise<Api> {
  const identities = createIdentityStore(config);
  return observedApi(createApi({ svc: createServices(config), keys: await createKeyStore(config, identities), users: identities, log }));
}

const serve = streamingApiHandler(
  () => {
    api ??= build().catch((error) => {
      api = undefined;
      throw error;
    });
    return api;
  },
  { dataEndpoint: config.dataEndpoint, log },
);

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  logger.addContext(context);
  try {
    await serve(event as Parameters<typeof serve>[0], responseStream);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
});

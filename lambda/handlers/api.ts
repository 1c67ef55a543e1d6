// Lambda entry point behind API Gateway.
import { readConfig } from '../config';
import { createApi, type Api } from '../http/api';
import { apiGatewayHandler } from '../http/apigw';
import { instrumented, log, observedApi } from '../observability';
import { createIdentityStore, createKeyStore, createServices } from '../wiring';

let api: Promise<Api> | undefined;

async function build(): Promise<Api> {
  const config = readConfig();
  const identities = createIdentityStore(config);
  return observedApi(createApi({ svc: createServices(config), keys: await createKeyStore(config, identities), users: identities, log }));
}

export const handler = instrumented(
  apiGatewayHandler(() => {
    api ??= build().catch((error) => {
      api = undefined;
      throw error;
    });
    return api;
  }),
);

// Lambda entry point behind API Gateway.
import { readConfig } from '../config';
import { createApi, type Api } from '../http/api';
import { apiGatewayHandler } from '../http/apigw';
import { createIdentityStore, createKeyStore, createServices } from '../wiring';

let api: Promise<Api> | undefined;

async function build(): Promise<Api> {
  const config = readConfig();
  const identities = createIdentityStore(config);
  return createApi({ svc: createServices(config), keys: await createKeyStore(config, identities), users: identities });
}

export const handler = apiGatewayHandler(() => {
  api ??= build().catch((error) => {
    api = undefined;
    throw error;
  });
  return api;
});

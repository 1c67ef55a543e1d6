// Lambda entry point behind API Gateway.
import { readConfig } from '../config';
import { createApi, type Api } from '../http/api';
import { apiGatewayHandler } from '../http/apigw';
import { createKeyStore, createServices } from '../wiring';

let api: Promise<Api> | undefined;

async function build(): Promise<Api> {
  const config = readConfig();
  return createApi({ svc: createServices(config), keys: await createKeyStore(config) });
}

export const handler = apiGatewayHandler(() => {
  api ??= build().catch((error) => {
    api = undefined;
    throw error;
  });
  return api;
});

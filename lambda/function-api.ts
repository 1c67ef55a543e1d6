// The request path as the api functions run it: built once per container, on first use, from
// the function's environment (a failed build is tried again by the next invocation).
import { readConfig, type Config } from './config';
import { createApi, type Api } from './http/api';
import { log, observedApi } from './observability';
import { createIdentityStore, createKeyStore, createServices } from './wiring';

let config: Config | undefined;
let api: Promise<Api> | undefined;

export function functionConfig(): Config {
  config ??= readConfig();
  return config;
}

async function build(): Promise<Api> {
  const identities = createIdentityStore(functionConfig());
  return observedApi(
    createApi({ svc: createServices(functionConfig()), keys: await createKeyStore(functionConfig(), identities), users: identities, log }),
  );
}

export function functionApi(): Promise<Api> {
  api ??= build().catch((error) => {
    api = undefined;
    throw error;
  });
  return api;
}

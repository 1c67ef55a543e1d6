import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlacierClient } from '@aws-sdk/client-glacier';
import { LOCAL_DEFAULTS, readLocalConfig, type Config } from '../../lambda/config';
import { startLocalServer, type LocalServer } from '../../lambda/local/server';

export const ROOT_CREDENTIALS = { accessKeyId: LOCAL_DEFAULTS.accessKeyId, secretAccessKey: LOCAL_DEFAULTS.secretAccessKey };

export interface TestServer extends LocalServer {
  dataDir: string;
  /** What the server logged at level error (a 500's cause), kept so that a failing test can show it. */
  errorsLogged: string[];
  client(options?: { credentials?: { accessKeyId: string; secretAccessKey: string }; region?: string }): GlacierClient;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

/** A local server on a free port and a fresh data directory; `env` overrides configuration. */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'coldvault-test-'));
  const config: Config = readLocalConfig({ COLDVAULT_DATA_DIR: dir, PORT: '0', ...env });
  const errorsLogged: string[] = [];
  const server = await startLocalServer(config, (message, detail, level = 'error') => {
    if (level === 'error') errorsLogged.push(`${message}: ${JSON.stringify(detail)}`);
  });
  return {
    ...server,
    dataDir: dir,
    errorsLogged,
    client: (options = {}) =>
      new GlacierClient({
        endpoint: server.url,
        region: options.region ?? config.region,
        credentials: options.credentials ?? ROOT_CREDENTIALS,
        maxAttempts: 1,
      }),
    async destroy() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

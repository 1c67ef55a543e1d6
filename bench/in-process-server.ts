import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { readLocalConfig } from '../lambda/config';
import { startLocalServer, type LocalServer } from '../lambda/local/server';
import { benchClient } from './client';

/**
 * Runs `run` on a local server in this process, on a fresh data directory that is removed
 * afterwards (or when the bench exits first). For figures that need the server's stores at
 * hand; its CPU is shared with the client, so such figures are latencies and memory only.
 */
export async function withInProcessServer<T>(
  env: Record<string, string>,
  run: (server: LocalServer, client: GlacierClient) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-bench-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeDataDir);
  let server: LocalServer | undefined;
  let client: GlacierClient | undefined;
  try {
    server = await startLocalServer(readLocalConfig({ COLDVAULT_DATA_DIR: dataDir, PORT: '0', ...env }), () => undefined);
    client = benchClient(server.url);
    return await run(server, client);
  } finally {
    client?.destroy();
    await server?.close();
    removeDataDir();
    process.off('exit', removeDataDir);
  }
}

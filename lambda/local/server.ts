import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import type { Services } from '../domain/services';
import { inventoryAllVaults, type InventoryRun } from '../domain/inventory';
import { runJanitor } from '../domain/janitor';
import { sweepJobs } from '../domain/jobs';
import { FileNotifier } from '../store/notifiers';
import { createApi } from '../http/api';
import { BodyBudget } from '../http/request-body';
import { jsonLogger, type Logger } from '../http/responses';
import { createDynamoClient, createIdentityStore, createKeyStore, createServices } from '../wiring';
import { lockDataDir } from './data-dir-lock';
import { ensureTable, startEmbeddedStores, type EmbeddedStores } from './embedded-stores';
import { answerClientError, bridge, limitConnections } from './http-bridge';

/** Deliveries of SNS notifications, one JSON line each, in the data directory. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';
/** Written while a server runs: its pid, URL and embedded DynamoDB endpoint. */
export const SERVER_INFO_FILE = 'server.json';
const JOB_SWEEP_SECONDS = 1;

export interface LocalServer {
  url: string;
  config: Config;
  runInventory(): Promise<InventoryRun>;
  runJanitor(): Promise<{ uploads: number; purges: number }>;
  runJobSweep(): Promise<{ completed: number; notified: number }>;
  /** The services the server runs on (tests look at stored state through them). */
  services: Services;
  /** The embedded stores (tests stop and restart them to stand in for outages). */
  stores: Pick<EmbeddedStores, 'stop' | 'restart'>;
  close(): Promise<void>;
}

/** Local mode: the api handler behind node:http, on embedded stores under the data directory. */
export async function startLocalServer(base: Config, log: Logger = jsonLogger): Promise<LocalServer> {
  const unlock = lockDataDir(base.local.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [unlock];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const stores = await startEmbeddedStores(base.local.dataDir, base.bucketName);
    cleanup.push(() => stores.close());
    const config: Config = { ...base, dynamoEndpoint: stores.dynamoEndpoint, s3Endpoint: stores.s3Endpoint };
    await ensureTable(createDynamoClient(config), config.tableName);

    const svc = createServices(config, new FileNotifier(join(config.local.dataDir, NOTIFICATIONS_FILE)));
    const identities = createIdentityStore(config);
    const api = createApi({
      svc,
      keys: await createKeyStore(config, identities),
      users: identities,
      log,
      unsignedPayloadBudget: new BodyBudget(config.local.unsignedPayloadBytes),
    });
    // Slow headers are cut off after headersTimeout (checked every second); a body may take as
    // long as it needs (4 GiB at a slow link) but never sits idle past the idle timeout.
    const server: Server = createServer({ connectionsCheckingInterval: 1_000, requestTimeout: 0 }, bridge(api, log));
    server.headersTimeout = config.local.headersTimeoutMs;
    server.keepAliveTimeout = Math.min(30_000, config.local.bodyIdleTimeoutMs);
    limitConnections(server, config.local.maxConnections);
    server.setTimeout(config.local.bodyIdleTimeoutMs, (socket) => socket.destroy());
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, log));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.local.port, config.local.host, resolve);
    });
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );

    // Timers stand in for the deployed schedules.
    const runInventory = every(config.inventoryIntervalSeconds, () => inventoryAllVaults(svc, log), 'inventory', log, cleanup);
    const janitor = every(config.janitorIntervalSeconds, () => runJanitor(svc), 'janitor', log, cleanup);
    const jobSweep = every(JOB_SWEEP_SECONDS, () => sweepJobs(svc), 'job sweep', log, cleanup);

    const { port } = server.address() as AddressInfo;
    const host = config.local.host.includes(':') ? `[${config.local.host}]` : config.local.host;
    const url = `http://${host}:${port}`;
    // Lets the admin command reach this server's embedded DynamoDB while it runs.
    const infoPath = join(config.local.dataDir, SERVER_INFO_FILE);
    writeFileSync(infoPath, JSON.stringify({ pid: process.pid, url, dynamoEndpoint: stores.dynamoEndpoint }));
    cleanup.push(() => rmSync(infoPath, { force: true }));
    return { url, config, services: svc, stores, runInventory, runJanitor: janitor, runJobSweep: jobSweep, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Runs `task` every `seconds`, never twice at once; the returned function runs it now. */
function every<T>(
  seconds: number,
  task: () => Promise<T>,
  name: string,
  log: Logger,
  cleanup: (() => Promise<void> | void)[],
): () => Promise<T> {
  let running: Promise<T> | undefined;
  const run = () => {
    running ??= task().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void run().catch((error) => log(`${name} failed`, { error: String(error) })), seconds * 1000);
  timer.unref();
  cleanup.push(async () => {
    clearInterval(timer);
    await running?.catch(() => undefined);
  });
  return run;
}

import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ENV, type Config } from '../config';
import type { Services } from '../domain/services';
import { inventoryAllVaults, type InventoryRun } from '../domain/inventory';
import { runJanitor } from '../domain/janitor';
import { sweepJobs } from '../domain/jobs';
import { FileNotifier } from '../store/notifiers';
import { createApi } from '../http/api';
import { BodyBudget } from '../http/request-body';
import { jsonLogger, type Logger } from '../http/responses';
import { awsStores, createDynamoClient, createKeyStore, createServices, sealedIdentities, secretSealer, type StoreSet } from '../wiring';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';
import { embeddedStores, ensureTable, openEmbeddedStores, startEmbeddedStores, type EmbeddedStores } from './embedded-stores';
import { DataDirError, makeDataDirPrivate } from './private-data-dir';
import { startHttpServer } from './http-server';

/** Deliveries of SNS notifications, one JSON line each, in the data directory. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';
/** Written while a server runs: its pid and URL (no store endpoint: the stores are reached through the data directory only). */
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
  /** The emulated stores (tests stop and restart them to stand in for outages); embedded stores can't be stopped apart. */
  stores: Pick<EmbeddedStores, 'stop' | 'restart'>;
  close(): Promise<void>;
}

const noOutages: Pick<EmbeddedStores, 'stop' | 'restart'> = {
  stop: () => Promise.reject(new Error('Only emulated stores (COLDVAULT_STORES=emulated) can be stopped apart from the server')),
  restart: () => Promise.reject(new Error('Only emulated stores (COLDVAULT_STORES=emulated) can be restarted apart from the server')),
};

/** The stores `config` asks for, started; what to close them with; and the config that reaches them. */
async function startStores(
  base: Config,
  cleanup: (() => Promise<void> | void)[],
): Promise<{ config: Config; stores: StoreSet; outages: Pick<EmbeddedStores, 'stop' | 'restart'> }> {
  if (base.local.stores === 'embedded') {
    const embedded = await openEmbeddedStores(base.local.dataDir);
    cleanup.push(() => embedded.close());
    return { config: base, stores: embeddedStores(embedded.lmdb, embedded.blobs), outages: noOutages };
  }
  // A credential per start, known only to this process: other local processes can't use the stores.
  const storeCredentials = {
    accessKeyId: `CV${randomBytes(16).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  const emulated = await startEmbeddedStores(base.local.dataDir, base.bucketName, { accessKeyId: storeCredentials.accessKeyId });
  cleanup.push(() => emulated.close());
  const config: Config = { ...base, storeCredentials, dynamoEndpoint: emulated.dynamoEndpoint, s3Endpoint: emulated.s3Endpoint };
  await ensureTable(createDynamoClient(config), config.tableName);
  return { config, stores: awsStores(config), outages: emulated };
}

/** Local mode: the api handler behind node:http, on embedded (or emulated) stores under the data directory. */
export async function startLocalServer(base: Config, log: Logger = jsonLogger): Promise<LocalServer> {
  const unlock = claimDataDir(base.local.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [unlock];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const { config, stores: storeSet, outages: stores } = await startStores(base, cleanup);
    const svc = createServices(config, new FileNotifier(join(config.local.dataDir, NOTIFICATIONS_FILE)), storeSet);
    const identities = sealedIdentities(storeSet.identities, secretSealer(config));
    const api = createApi({
      svc,
      keys: await createKeyStore(config, identities),
      users: identities,
      log,
      unsignedPayloadBudget: new BodyBudget(config.local.unsignedPayloadBytes),
    });
    const http = await startHttpServer(
      api,
      { ...config.local, keepAliveTimeoutMs: Math.min(30_000, config.local.bodyIdleTimeoutMs) },
      log,
    ).catch((error: unknown) => {
      throw new ConfigError(
        `Can't listen on ${config.local.host} port ${config.local.port} (${ENV.host}, ${ENV.port}): ${describe(error)}`,
      );
    });
    cleanup.push(async () => {
      http.server.closeAllConnections();
      await http.close();
    });

    // Timers stand in for the deployed schedules.
    const runInventory = every(config.inventoryIntervalSeconds, () => inventoryAllVaults(svc, log), 'inventory', log, cleanup);
    const janitor = every(config.janitorIntervalSeconds, () => runJanitor(svc), 'janitor', log, cleanup);
    const jobSweep = every(JOB_SWEEP_SECONDS, () => sweepJobs(svc), 'job sweep', log, cleanup);

    const { url } = http;
    // Tells the admin command that a server runs on this data directory, and which stores it uses.
    const infoPath = join(config.local.dataDir, SERVER_INFO_FILE);
    writeFileSync(infoPath, JSON.stringify({ pid: process.pid, url, stores: config.local.stores }), { mode: 0o600 });
    cleanup.push(() => rmSync(infoPath, { force: true }));
    return { url, config, services: svc, stores, runInventory, runJanitor: janitor, runJobSweep: jobSweep, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The data directory, private and locked for this server; one that can't be made so is the setting's fault, told as such. */
function claimDataDir(dataDir: string): () => void {
  try {
    makeDataDirPrivate(dataDir);
    return lockDataDir(dataDir);
  } catch (error) {
    if (error instanceof DataDirError) throw new ConfigError(`${error.message} (${ENV.dataDir})`);
    if (error instanceof DataDirInUseError) throw error;
    throw new ConfigError(`Can't lock the data directory ${resolve(dataDir)} (${ENV.dataDir}): ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The longest delay a Node timer takes: a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  // A period longer than a timer can wait is counted in equal steps that it can.
  const steps = Math.ceil((seconds * 1000) / MAX_TIMER_MS);
  let step = 0;
  const timer = setInterval(
    () => {
      step = (step + 1) % steps;
      if (step === 0) void run().catch((error) => log(`${name} failed`, { error: String(error) }));
    },
    (seconds * 1000) / steps,
  );
  timer.unref();
  cleanup.push(async () => {
    clearInterval(timer);
    await running?.catch(() => undefined);
  });
  return run;
}

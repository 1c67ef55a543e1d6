import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { CreateVaultCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { LOCAL_DEFAULTS } from '../lambda/config';
import { createTable, startDynalite, startS3rver } from '../test/support/embedded';
import { freePort } from '../test/support/server-process';
import { benchClient } from './client';
import { singleLarge } from './large';
import { MiB, round } from './measure';
import { clockTicksPerSecond, processCpuSeconds, supervised, type ServerProcess } from './server-process';
import { MALLOC_TUNING } from '../lib/malloc-tuning';

const ROOT = resolve(__dirname, '..');
const TABLE = 'coldvault-bench-container';
const BUCKET = 'coldvault-bench-container';
const START_TIMEOUT_MS = 60_000;
const OUTPUT_TAIL = 64 * 1024;

interface Transfer {
  mibPerSecond: number;
  serverCpuSecondsPerGiB: number;
}

type Whole = Awaited<ReturnType<typeof singleLarge>>;

/**
 * The data plane's entry point (lambda/local/container.ts) as its own process, configured as
 * the task is, its DynamoDB and S3 adapters pointed at `stores`, with the local server's root key.
 */
async function startContainerProcess(
  stores: { dynamoEndpoint: string; s3Endpoint: string },
  cpuProfileDir?: string,
): Promise<ServerProcess> {
  const port = await freePort();
  const profiling = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfileDir)] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', 'lambda/local/container.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      COLDVAULT_ACCOUNT_ID: LOCAL_DEFAULTS.accountId,
      COLDVAULT_REGION: LOCAL_DEFAULTS.region,
      COLDVAULT_TABLE: TABLE,
      COLDVAULT_BUCKET: BUCKET,
      COLDVAULT_STORAGE_CLASS: 'STANDARD',
      COLDVAULT_JOB_DELAY_SECONDS: '0',
      COLDVAULT_ACCESS_KEY_ID: LOCAL_DEFAULTS.accessKeyId,
      COLDVAULT_SECRET_ACCESS_KEY: LOCAL_DEFAULTS.secretAccessKey,
      COLDVAULT_DYNAMODB_ENDPOINT: stores.dynamoEndpoint,
      COLDVAULT_S3_ENDPOINT: stores.s3Endpoint,
      // The tasks' allocator settings, as deployed.
      ...MALLOC_TUNING,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // It logs a line per request: only the end is kept, for the error if it fails to start.
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const { stop } = supervised(child, exited, () => undefined);

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('"message":"serving"')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the container entry point did not start:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  const ticks = clockTicksPerSecond();
  const pid = child.pid as number;
  return { url: `http://127.0.0.1:${port}`, pid, cpuSeconds: () => processCpuSeconds(pid, ticks), stop };
}

const toLocal = (container: Transfer, local: Transfer) => round(container.serverCpuSecondsPerGiB / local.serverCpuSecondsPerGiB, 2);

/** The local server's single-request upload and whole GetJobOutput (bench/large.ts), of the same size. */
async function wholeArchive(client: GlacierClient, server: ServerProcess, vaultName: string, local: Whole) {
  const whole = await singleLarge(client, server, vaultName, local.mib * MiB, 1);
  return {
    ...whole,
    uploadCpuPerGiBToLocal: toLocal(whole.upload, local.upload),
    downloadCpuPerGiBToLocal: toLocal(whole.download, local.download),
  };
}

/**
 * The container plane's server running `upload` (the local server's UploadArchive workload) and,
 * if `local.whole` was measured, the same single-request upload and whole GetJobOutput. DynamoDB
 * (dynalite) and S3 (s3rver) run in this process, so only the container server's CPU is counted;
 * each figure comes with its ratio to the local server's CPU per GiB.
 */
export async function containerPlane<U extends Transfer>(options: {
  vaultName: string;
  cpuProfileDir?: string;
  local: { upload: U; whole?: Whole };
  upload(client: GlacierClient, server: ServerProcess): Promise<U>;
}) {
  const { vaultName, local } = options;
  const dynamo = await startDynalite();
  const s3 = await startS3rver(BUCKET);
  try {
    const stores = { dynamoEndpoint: dynamo.endpoint, s3Endpoint: s3.endpoint };
    await createTable(stores, TABLE, LOCAL_DEFAULTS.region);
    const server = await startContainerProcess(stores, options.cpuProfileDir);
    const client = benchClient(server.url);
    try {
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
      const upload = await options.upload(client, server);
      const whole = local.whole && (await wholeArchive(client, server, vaultName, local.whole));
      return { upload: { ...upload, cpuPerGiBToLocal: toLocal(upload, local.upload) }, whole };
    } finally {
      client.destroy();
      await server.stop();
    }
  } finally {
    await dynamo.close();
    await s3.close();
  }
}

export function containerPlaneRows(r: Awaited<ReturnType<typeof containerPlane>>): [string, string][] {
  const whole = r.whole;
  return [
    [
      '  container plane (DynamoDB, S3 adapters)',
      `${r.upload.mibPerSecond} MiB/s, server CPU ${r.upload.serverCpuSecondsPerGiB} s per GiB = ${r.upload.cpuPerGiBToLocal}x the local server's`,
    ],
    ...(whole
      ? ([
          [
            `  container plane, ${whole.mib} MiB in one UploadArchive`,
            `${whole.upload.mibPerSecond} MiB/s, server CPU ${whole.upload.serverCpuSecondsPerGiB} s per GiB = ${whole.uploadCpuPerGiBToLocal}x the local server's`,
          ],
          [
            `  container plane, GetJobOutput of all ${whole.mib} MiB`,
            `${whole.download.mibPerSecond} MiB/s, server CPU ${whole.download.serverCpuSecondsPerGiB} s per GiB = ${whole.downloadCpuPerGiBToLocal}x the local server's`,
          ],
        ] as [string, string][])
      : []),
  ];
}

// `npm run bench [-- --only bundles|lambda-cpu | --uploads N --describes N --parts N --retrieve-mib N --complete-parts N,N --inventory-archives N --single-mib N,N --lambda-baseline GIT_REF --cpu-prof DIR]`: throughput and server CPU of the local server and of the container plane's, and the Lambda bundles' size and load time.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeVaultCommand,
  InitiateMultipartUploadCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { silenceSdkNodeNotice } from '../lambda/config';
import { combineTreeHashes } from '../lambda/domain/checksums';
import { MAX_PARTS } from '../lambda/domain/multipart';
import { bundleRows, lambdaBundles } from './bundles';
import { benchClient, randomBodies } from './client';
import { completeSeededLatencies } from './complete-seeded';
import { containerPlane, containerPlaneRows } from './container-plane';
import { inventoryAtScale } from './inventory';
import { MiB, measured, percentile, round, runPool, sha256MibPerSecond, transferFigures } from './measure';
import { retrieval, type PartsArchive } from './retrieval';
import { lambdaHandlerCpu } from './lambda-cpu';
import { singleLarge } from './large';
import { startMoto } from './moto';
import { startServerProcess, type ServerProcess } from './server-process';

const BODY_MIB = 4;
const UPLOAD_CONCURRENCY = 4;
const DESCRIBE_CONCURRENCY = 8;
const ONE_BYTE = Buffer.from('x');
const BODY_POOL = 8;
const PART_MIB = 4;
const PART_CONCURRENCY = 4;
const VAULT = 'bench';

class UsageError extends Error {}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        uploads: { type: 'string', default: '64' },
        describes: { type: 'string', default: '2000' },
        parts: { type: 'string', default: '64' },
        'retrieve-mib': { type: 'string', default: '256' },
        'complete-parts': { type: 'string', default: '1000,10000' },
        'inventory-archives': { type: 'string', default: '100000' },
        'single-mib': { type: 'string', default: '64,1024,4096' },
        'lambda-baseline': { type: 'string' },
        'cpu-prof': { type: 'string' },
        'timeout-seconds': { type: 'string', default: '900' },
        only: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.only !== undefined && values.only !== 'bundles' && values.only !== 'lambda-cpu')
    throw new UsageError(`--only takes "bundles" or "lambda-cpu", got "${values.only}"`);
  const count = (name: string, raw: string, max = Number.MAX_SAFE_INTEGER) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got "${raw}"`);
    return value;
  };
  // The retrieved archive is made of whole parts, so that every range is one part.
  const retrieveMiB = count('retrieve-mib', values['retrieve-mib'], MAX_PARTS * PART_MIB);
  if (retrieveMiB % PART_MIB !== 0)
    throw new UsageError(`--retrieve-mib must be a multiple of ${PART_MIB} (the part size), got ${retrieveMiB}`);
  return {
    uploads: count('uploads', values.uploads),
    describes: count('describes', values.describes),
    parts: count('parts', values.parts, MAX_PARTS),
    retrieveMiB,
    completeParts: values['complete-parts'].split(',').map((raw) => count('complete-parts', raw.trim(), MAX_PARTS)),
    inventoryArchives: count('inventory-archives', values['inventory-archives']),
    lambdaBaseline: values['lambda-baseline'],
    singleMiB: values['single-mib'].split(',').map((raw) => count('single-mib', raw.trim(), 4096)),
    cpuProfileDir: values['cpu-prof'],
    timeoutSeconds: count('timeout-seconds', values['timeout-seconds']),
    onlyBundles: values.only === 'bundles',
    onlyLambdaCpu: values.only === 'lambda-cpu',
  };
}

async function uploads(client: GlacierClient, server: ServerProcess, count: number, bodies: Buffer[]) {
  const upload = (index: number) =>
    client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: bodies[index % bodies.length] }));
  // Warm-up: every body once, so the client's hashes are remembered before the clock starts.
  await runPool(BODY_POOL, UPLOAD_CONCURRENCY, upload);
  const result = await measured(server, () => runPool(count, UPLOAD_CONCURRENCY, upload));
  const mib = count * BODY_MIB;
  return {
    count,
    bodyMiB: BODY_MIB,
    concurrency: UPLOAD_CONCURRENCY,
    ...transferFigures(result, mib),
    p50Ms: round(percentile(result.latenciesMs, 50)),
    p95Ms: round(percentile(result.latenciesMs, 95)),
  };
}

/** The same uploads, with the same client, against moto_server (undefined if it is not installed). */
async function motoUploads(count: number, bodies: Buffer[]) {
  const moto = await startMoto();
  if (!moto) return undefined;
  const client = benchClient(moto.url);
  try {
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    return await uploads(client, moto, count, bodies);
  } finally {
    client.destroy();
    await moto.stop();
  }
}

/** Parts of `PART_MIB` cycling through `bodies`; resolves to the tree hash the server computed for each. */
function partUploader(client: GlacierClient, uploadId: string, bodies: Buffer[], treeHashes: Buffer[]) {
  const bytes = PART_MIB * MiB;
  return async (index: number) => {
    const body = bodies[index % bodies.length];
    const range = `bytes ${index * bytes}-${index * bytes + body.length - 1}/*`;
    const out = await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: VAULT, uploadId, range, body }));
    treeHashes[index] = Buffer.from(out.checksum as string, 'hex');
  };
}

async function initiate(client: GlacierClient): Promise<string> {
  const out = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(PART_MIB * MiB) }));
  if (!out.uploadId) throw new Error('InitiateMultipartUpload returned no upload ID');
  return out.uploadId;
}

/** Uploads an archive of `count` parts cycling through `bodies`, timed from Initiate to the end of Complete. */
async function multipartArchive(client: GlacierClient, count: number, bodies: Buffer[]) {
  const started = performance.now();
  const uploadId = await initiate(client);
  // With a power-of-two MiB part size, the archive's tree hash is the parts' combined: nothing is hashed again.
  const treeHashes: Buffer[] = [];
  const parts = await runPool(count, PART_CONCURRENCY, partUploader(client, uploadId, bodies, treeHashes));
  const checksum = combineTreeHashes(treeHashes).toString('hex');
  const completeStarted = performance.now();
  const done = await client.send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      archiveSize: String(count * PART_MIB * MiB),
      checksum,
    }),
  );
  const completeMs = performance.now() - completeStarted;
  if (done.checksum !== checksum) throw new Error(`Complete returned tree hash ${done.checksum}, expected ${checksum}`);
  if (!done.archiveId) throw new Error('CompleteMultipartUpload returned no archive ID');
  const archive: PartsArchive = { vaultName: VAULT, archiveId: done.archiveId, treeHash: checksum, parts: count, bodies };
  return { archive, seconds: (performance.now() - started) / 1000, latenciesMs: parts.latenciesMs, completeMs };
}

/** One archive of `count` parts, timed from Initiate to the end of Complete; the archive is kept for the retrieval. */
async function multipart(client: GlacierClient, server: ServerProcess, count: number, bodies: Buffer[]) {
  // Warm-up: every body once as a part of an upload that is then aborted (the client's hashes
  // are remembered from UploadArchive already; this warms the server's multipart path).
  const warmUp = await initiate(client);
  await runPool(bodies.length, PART_CONCURRENCY, partUploader(client, warmUp, bodies, []));
  await client.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId: warmUp }));

  const result = await measured(server, () => multipartArchive(client, count, bodies));
  const mib = count * PART_MIB;
  const figures = {
    parts: count,
    partMiB: PART_MIB,
    concurrency: PART_CONCURRENCY,
    ...transferFigures(result, mib),
    partP50Ms: round(percentile(result.latenciesMs, 50)),
    partP95Ms: round(percentile(result.latenciesMs, 95)),
    completeMs: round(result.completeMs, 1),
  };
  return { figures, archive: result.archive };
}

/** `count` requests made by `send`, `DESCRIBE_CONCURRENCY` at a time after a warm-up: their rate, latency and server CPU. */
async function smallRequests(server: ServerProcess, count: number, send: () => Promise<unknown>) {
  await runPool(50, DESCRIBE_CONCURRENCY, send);
  const result = await measured(server, () => runPool(count, DESCRIBE_CONCURRENCY, send));
  return {
    count,
    concurrency: DESCRIBE_CONCURRENCY,
    seconds: round(result.seconds, 2),
    opsPerSecond: round(count / result.seconds),
    p50Ms: round(percentile(result.latenciesMs, 50), 2),
    p95Ms: round(percentile(result.latenciesMs, 95), 2),
    serverCpuSeconds: round(result.serverCpuSeconds, 2),
    serverCpuSecondsPer1000: round((result.serverCpuSeconds / count) * 1000, 3),
  };
}

const describes = (client: GlacierClient, server: ServerProcess, count: number) =>
  smallRequests(server, count, () => client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT })));

/** UploadArchive of one byte: what every upload costs apart from its bytes (the vault, the records, the files and their syncs). */
const oneByteUploads = (client: GlacierClient, server: ServerProcess, count: number) =>
  smallRequests(server, count, () => client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: ONE_BYTE })));

/** The measurements on the server process, with its CPU time. */
async function onServerProcess(opts: ReturnType<typeof options>, started: (server: ServerProcess) => void) {
  const server = await startServerProcess({ cpuProfileDir: opts.cpuProfileDir });
  started(server);
  const client = benchClient(server.url);
  try {
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    const bodies = randomBodies(BODY_POOL, BODY_MIB * MiB);
    const upload = await uploads(client, server, opts.uploads, bodies);
    const moto = await motoUploads(opts.uploads, bodies);
    const describe = await describes(client, server, opts.describes);
    const oneByteUpload = await oneByteUploads(client, server, opts.describes);
    const multipartUpload = await multipart(client, server, opts.parts, bodies);
    // The multipart archive is retrieved if it has the size asked for; otherwise one is uploaded for it.
    const retrieved =
      opts.retrieveMiB === opts.parts * PART_MIB
        ? multipartUpload.archive
        : (await multipartArchive(client, opts.retrieveMiB / PART_MIB, bodies)).archive;
    const retrieve = await retrieval(client, server, retrieved);
    const single = [];
    for (const [index, mib] of opts.singleMiB.entries()) single.push(await singleLarge(client, server, VAULT, mib * MiB, index + 1));
    const container = await containerPlane({
      vaultName: VAULT,
      cpuProfileDir: opts.cpuProfileDir,
      local: { upload, whole: single[0] },
      upload: (c, s) => uploads(c, s, opts.uploads, bodies),
    });
    return { upload, moto, container, single, describe, oneByteUpload, multipartUpload: multipartUpload.figures, retrieval: retrieve };
  } finally {
    client.destroy();
    await server.stop();
  }
}

const machine = (loadAtStart: number) => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  loadAverage1m: round(loadAtStart, 2),
});

async function bench(opts: ReturnType<typeof options>, started: (server: ServerProcess) => void) {
  // Other processes' load makes every figure lower; it is reported with them.
  const loadAtStart = loadavg()[0];
  // Hashed before the server starts, so nothing else competes for the core.
  const sha256 = sha256MibPerSecond(1);
  const measuredOnServer = await onServerProcess(opts, started);
  // After the server process is stopped, so that it runs alone: this server is in this process.
  const completeSeeded = await completeSeededLatencies(opts.completeParts);
  const inventory = await inventoryAtScale(opts.inventoryArchives);
  const bundles = await lambdaBundles();
  const lambdaCpu = await lambdaHandlerCpu(opts.lambdaBaseline);
  return {
    machine: machine(loadAtStart),
    sha256: {
      mibPerSecond: round(sha256),
      // Every uploaded byte is hashed at least twice: the payload hash and the tree hash.
      uploadCeilingMibPerSecondPerCore: round(sha256 / 2),
      cpuSecondsPerGiBAtCeiling: round(1024 / (sha256 / 2), 2),
    },
    ...measuredOnServer,
    completeSeeded,
    inventory,
    bundles,
    lambdaCpu,
  };
}

type Results = Awaited<ReturnType<typeof bench>>;

function memory(m: Results['inventory']['inventoryMemory']): string {
  return `${m.peakRssAboveBaselineMiB} MiB / ${m.peakHeapUsedAboveBaselineMiB} MiB (baseline ${m.baselineRssMiB} / ${m.baselineHeapUsedMiB} MiB, max RSS ${m.maxRssMiB} MiB)`;
}

function table(r: Results): string {
  const rows: [string, string][] = [
    ['machine', `${r.machine.cpus} x ${r.machine.cpuModel}, node ${r.machine.node}, load average ${r.machine.loadAverage1m} at start`],
    ['SHA-256, 1 core (the floor)', `${r.sha256.mibPerSecond} MiB/s`],
    [
      'best upload rate per core (floor/2)',
      `${r.sha256.uploadCeilingMibPerSecondPerCore} MiB/s = ${r.sha256.cpuSecondsPerGiBAtCeiling} CPU s/GiB`,
    ],
    [
      `UploadArchive ${r.upload.count} x ${r.upload.bodyMiB} MiB, conc ${r.upload.concurrency}`,
      `${r.upload.mibPerSecond} MiB/s (${r.upload.seconds} s)`,
    ],
    ['  latency p50 / p95', `${r.upload.p50Ms} ms / ${r.upload.p95Ms} ms`],
    ['  server CPU', `${r.upload.serverCpuSecondsPerGiB} s per GiB (${r.upload.serverCpuSeconds} s)`],
    [
      '  against the SHA-256 floor',
      `${round(r.upload.serverCpuSecondsPerGiB / r.sha256.cpuSecondsPerGiBAtCeiling, 2)}x the floor's CPU per GiB`,
    ],
    ...motoRows(r),
    ...containerPlaneRows(r.container),
    [`DescribeVault x ${r.describe.count}, conc ${r.describe.concurrency}`, `${r.describe.opsPerSecond} ops/s (${r.describe.seconds} s)`],
    ['  latency p50 / p95', `${r.describe.p50Ms} ms / ${r.describe.p95Ms} ms`],
    ['  server CPU', `${r.describe.serverCpuSecondsPer1000} s per 1,000 (${r.describe.serverCpuSeconds} s)`],
    [
      `UploadArchive of 1 byte x ${r.oneByteUpload.count}, conc ${r.oneByteUpload.concurrency}`,
      `${r.oneByteUpload.opsPerSecond} ops/s, server CPU ${r.oneByteUpload.serverCpuSecondsPer1000} s per 1,000`,
    ],
    [
      '  share of a 4 MiB upload',
      `${round((100 * r.oneByteUpload.serverCpuSecondsPer1000) / 1000 / (r.upload.serverCpuSeconds / r.upload.count))}% of its server CPU is per request, not per byte`,
    ],
    [
      `Multipart ${r.multipartUpload.parts} x ${r.multipartUpload.partMiB} MiB parts, conc ${r.multipartUpload.concurrency}`,
      `${r.multipartUpload.mibPerSecond} MiB/s (${r.multipartUpload.seconds} s, Initiate to Complete)`,
    ],
    ['  part latency p50 / p95', `${r.multipartUpload.partP50Ms} ms / ${r.multipartUpload.partP95Ms} ms`],
    ['  server CPU', `${r.multipartUpload.serverCpuSecondsPerGiB} s per GiB (${r.multipartUpload.serverCpuSeconds} s)`],
    ['  CompleteMultipartUpload', `${r.multipartUpload.completeMs} ms`],
    [
      `Retrieval of ${r.retrieval.archiveMiB} MiB, ${r.retrieval.rangeMiB} MiB ranges, conc ${r.retrieval.concurrency}`,
      `${r.retrieval.mibPerSecond} MiB/s (${r.retrieval.seconds} s; job completed in ${r.retrieval.jobCompletedMs} ms)`,
    ],
    ['  range latency p50 / p95', `${r.retrieval.rangeP50Ms} ms / ${r.retrieval.rangeP95Ms} ms`],
    ['  server CPU', `${r.retrieval.serverCpuSecondsPerGiB} s per GiB (${r.retrieval.serverCpuSeconds} s)`],
    ...r.single.flatMap((one): [string, string][] => [
      [
        `UploadArchive of ${one.mib} MiB in one request`,
        `${one.upload.mibPerSecond} MiB/s (${one.upload.seconds} s), server CPU ${one.upload.serverCpuSecondsPerGiB} s per GiB, peak RSS ${one.upload.peakRssMiB} MiB`,
      ],
      [
        `  GetJobOutput of all ${one.mib} MiB, no Range`,
        `${one.download.mibPerSecond} MiB/s (${one.download.seconds} s), server CPU ${one.download.serverCpuSecondsPerGiB} s per GiB, peak RSS ${one.download.peakRssMiB} MiB`,
      ],
    ]),
    ...r.completeSeeded.map((c): [string, string] => [
      `Complete, ${c.parts.toLocaleString('en-US')} seeded ${c.partMiB} MiB parts`,
      `${c.completeMs} ms (seeded in ${c.seedSeconds} s)`,
    ]),
    [
      `Inventory of ${r.inventory.archives.toLocaleString('en-US')} seeded archives`,
      `${r.inventory.inventorySeconds} s, ${r.inventory.inventoryChunks} chunks (seeded in ${r.inventory.seedSeconds} s, ${r.inventory.seedPerSecond}/s, conc ${r.inventory.seedConcurrency})`,
    ],
    ['  memory above baseline: RSS / heap', memory(r.inventory.inventoryMemory)],
    ...r.inventory.jobs.flatMap((job): [string, string][] => [
      [
        `  ${job.format} retrieval job`,
        `${round(job.outputBytes / MiB, 2)} MiB (${job.outputBytes} bytes), initiate to completed ${job.jobSeconds} s`,
      ],
      ['    memory above baseline: RSS / heap', memory(job.jobMemory)],
      [`    download, ${job.ranges} ranges, conc ${job.concurrency}`, `${job.downloadSeconds} s (${job.downloadMibPerSecond} MiB/s)`],
    ]),
    ...bundleRows(r.bundles),
    ...lambdaCpuRows(r.lambdaCpu),
  ];
  return aligned(rows);
}

function lambdaCpuRows({ current, baseline }: Results['lambdaCpu']): [string, string][] {
  const figures = (cpu: typeof current) =>
    `UploadArchive ${cpu.uploadArchiveCpuSecondsPerGiB}, UploadMultipartPart ${cpu.uploadPartCpuSecondsPerGiB}, GetJobOutput ${cpu.getJobOutputCpuSecondsPerGiB} (of which the runtime's event and result JSON ${Object.values(cpu.runtimeJsonCpuSecondsPerGiB).join(', ')})` +
    (cpu.streamedGetJobOutputCpuSecondsPerGiB === undefined
      ? ''
      : `; GetJobOutput streamed, as the REST API routes it, ${cpu.streamedGetJobOutputCpuSecondsPerGiB}`);
  return [
    [`api function CPU s per GiB (${current.requests} x ${current.bodyMiB} MiB each)`, figures(current)],
    ...(baseline ? [[`  the same at ${baseline.ref}`, figures(baseline)] as [string, string]] : []),
  ];
}

function motoRows(r: Results): [string, string][] {
  if (!r.moto) return [['  moto_server, same uploads', 'not measured: moto_server is not on PATH']];
  return [
    ['  moto_server, same uploads', `${r.moto.mibPerSecond} MiB/s, server CPU ${r.moto.serverCpuSecondsPerGiB} s per GiB`],
    ['  coldvault / moto_server', `${round(r.upload.mibPerSecond / r.moto.mibPerSecond, 2)}x the MiB/s`],
  ];
}

function aligned(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

async function main() {
  // Known harmless on Node 20 (see silenceSdkNodeNotice); the servers the bench starts run without it too.
  silenceSdkNodeNotice();
  const opts = options();
  let server: ServerProcess | undefined;
  const abort = async (reason: string) => {
    console.error(`bench: ${reason}`);
    await server?.stop();
    process.exit(1);
  };
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  const watchdog = setTimeout(() => void abort(`gave up after ${opts.timeoutSeconds} s`), opts.timeoutSeconds * 1000);
  try {
    if (opts.onlyBundles) {
      const results = { machine: machine(loadavg()[0]), bundles: await lambdaBundles() };
      const m = results.machine;
      console.log(
        aligned([
          ['machine', `${m.cpus} x ${m.cpuModel}, node ${m.node}, load average ${m.loadAverage1m} at start`],
          ...bundleRows(results.bundles),
        ]),
      );
      console.log(`BENCH_JSON ${JSON.stringify(results)}`);
      return;
    }
    if (opts.onlyLambdaCpu) {
      const results = { machine: machine(loadavg()[0]), lambdaCpu: await lambdaHandlerCpu(opts.lambdaBaseline, opts.cpuProfileDir) };
      const m = results.machine;
      console.log(
        aligned([
          ['machine', `${m.cpus} x ${m.cpuModel}, node ${m.node}, load average ${m.loadAverage1m} at start`],
          ...lambdaCpuRows(results.lambdaCpu),
        ]),
      );
      console.log(`BENCH_JSON ${JSON.stringify(results)}`);
      return;
    }
    const results = await bench(opts, (started) => (server = started));
    console.log(table(results));
    console.log(`BENCH_JSON ${JSON.stringify(results)}`);
  } finally {
    clearTimeout(watchdog);
  }
}

main().catch((error) => {
  console.error('bench failed:', error instanceof UsageError ? error.message : error);
  process.exit(1);
});

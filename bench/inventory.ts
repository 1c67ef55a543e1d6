import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CreateVaultCommand, InitiateJobCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { newArchiveId } from '../lambda/domain/ids';
import { CSV_HEADER } from '../lambda/domain/inventory-output';
import type { LocalServer } from '../lambda/local/server';
import { withInProcessServer } from './in-process-server';
import { outputRange, RANGE_BYTES, waitForJob } from './jobs';
import { MiB, round, runPool } from './measure';

const VAULT = 'bench-inventory';
const SEED_CONCURRENCY = 32;
const RANGE_CONCURRENCY = 4;
const SAMPLE_MS = 20;

/**
 * The inventory of a vault of many archives, and inventory-retrieval jobs on it in JSON and CSV.
 *
 * The archive records are written straight into the metadata store: uploading 100,000
 * archives through the API would take far longer than a bench can, while the inventory only
 * ever reads archive records, never bytes. The records are exactly what an upload writes
 * (the single-blob layout, a description, size, tree hash and creation date; their blob
 * keys name no object), followed by the vault write an upload stamps, so the inventory and
 * the jobs do their full work here.
 *
 * Like the seeded Complete it runs on an in-process server, so its memory figures are this
 * process's, the embedded DynamoDB and S3 servers included.
 */
export async function inventoryAtScale(archives: number) {
  return withInProcessServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' }, async (server, client) => {
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    const ids = Array.from({ length: archives }, () => newArchiveId());
    const seedSeconds = await seed(server, ids);

    const run = await withPeakMemory(() => server.runInventory());
    if (run.value.failed.length > 0 || run.value.vaults !== 1) throw new Error(`The inventory failed: ${JSON.stringify(run.value)}`);
    const vault = await server.services.metadata.getVault(server.config.accountId, VAULT);
    if (vault?.inventory?.numberOfArchives !== archives)
      throw new Error(`The inventory counted ${vault?.inventory?.numberOfArchives} archives, expected ${archives}`);

    const known = new Set(ids);
    const jobs = [];
    for (const format of ['JSON', 'CSV'] as const) jobs.push(await inventoryJob(server, client, format, known));
    return {
      archives,
      seedConcurrency: SEED_CONCURRENCY,
      seedSeconds: round(seedSeconds, 2),
      seedPerSecond: round(archives / seedSeconds),
      inventorySeconds: round(run.seconds, 2),
      inventoryChunks: vault.inventory.chunks,
      inventoryMemory: run.memory,
      jobs,
    };
  });
}

/** What an upload of each archive would have written: the archive record, then the vault's write stamp. */
async function seed(server: LocalServer, ids: string[]): Promise<number> {
  const { metadata } = server.services;
  const accountId = server.config.accountId;
  const started = performance.now();
  await runPool(ids.length, SEED_CONCURRENCY, async (index) => {
    const archiveId = ids[index];
    const created = await metadata.createArchive({
      accountId,
      vaultName: VAULT,
      archiveId,
      // 41 characters, with commas for the CSV to quote.
      description: `nightly backup, host-${String(index % 100).padStart(3, '0')}, volume ${String(index).padStart(8, '0')}`,
      size: ((index % 1000) + 1) * MiB,
      treeHash: randomBytes(32).toString('hex'),
      creationDate: server.services.now().toISOString(),
      layout: { kind: 'blob', blobKey: `${accountId}/archives/${archiveId}` },
    });
    if (!created) throw new Error(`Archive ${archiveId} existed already`);
  });
  if (!(await metadata.recordVaultWrite(accountId, VAULT, server.services.now().getTime()))) throw new Error(`Vault ${VAULT} is missing`);
  return (performance.now() - started) / 1000;
}

/** Initiate to completion, then a download in ranges; the output must list every seeded archive once. */
async function inventoryJob(server: LocalServer, client: GlacierClient, format: 'JSON' | 'CSV', known: Set<string>) {
  const completing = await withPeakMemory(async () => {
    const { jobId } = await client.send(
      new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters: { Type: 'inventory-retrieval', Format: format } }),
    );
    if (!jobId) throw new Error('InitiateJob returned no job ID');
    // The job is completed by the sweep, as deployed, and only then described: a DescribeJob
    // of a due job completes it as well, and the two completions would both write the output.
    for (let sweeps = 0; (await server.services.jobs.getJob(server.config.accountId, VAULT, jobId))?.status === 'InProgress'; sweeps += 1) {
      if (sweeps === 10) throw new Error(`Job ${jobId} was not completed by ${sweeps} sweeps`);
      await server.runJobSweep();
    }
    return { jobId, job: await waitForJob(client, VAULT, jobId) };
  });
  const { jobId, job } = completing.value;
  const size = Number(job.InventorySizeInBytes);
  const output = Buffer.alloc(size);
  const ranges = Math.ceil(size / RANGE_BYTES);
  const download = await runPool(ranges, RANGE_CONCURRENCY, async (index) => {
    const range = await outputRange(client, VAULT, jobId, index, size);
    range.bytes.copy(output, range.start);
  });

  const listed = format === 'JSON' ? jsonArchiveIds(output) : csvArchiveIds(output);
  const unique = new Set(listed);
  if (listed.length !== known.size || unique.size !== known.size || listed.some((id) => !known.has(id))) {
    throw new Error(`The ${format} inventory lists ${listed.length} archives (${unique.size} distinct), expected the ${known.size} seeded`);
  }
  return {
    format,
    outputBytes: size,
    jobSeconds: round(completing.seconds, 2),
    jobMemory: completing.memory,
    ranges,
    concurrency: RANGE_CONCURRENCY,
    downloadSeconds: round(download.seconds, 2),
    downloadMibPerSecond: round(size / MiB / download.seconds),
  };
}

function jsonArchiveIds(output: Buffer): string[] {
  const parsed = JSON.parse(output.toString('utf8')) as { ArchiveList: { ArchiveId: string }[] };
  return parsed.ArchiveList.map((entry) => entry.ArchiveId);
}

/** One header line, then one line per archive (no field holds a line break), each ending in a newline. */
function csvArchiveIds(output: Buffer): string[] {
  const lines = output.toString('utf8').split('\n');
  if (lines.pop() !== '') throw new Error('The CSV inventory does not end with a newline');
  if (lines.shift() !== CSV_HEADER) throw new Error('The CSV inventory does not start with its header');
  return lines.map((line) => line.slice(0, line.indexOf(',')));
}

let collectGarbage: (() => void) | undefined;

/**
 * Runs `run` while sampling this process's memory every `SAMPLE_MS`; reports the peaks above
 * the baseline taken just before it, after a full collection so that garbage left from
 * earlier work is not counted. `maxRssMiB` is the process's peak resident size so far.
 */
async function withPeakMemory<T>(run: () => Promise<T>) {
  if (!collectGarbage) {
    // gc() without --expose-gc on the command line: a new context gets it once the flag is set.
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  collectGarbage();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeapUsed = baseline.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeapUsed = Math.max(peakHeapUsed, now.heapUsed);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  try {
    const value = await run();
    sample();
    const seconds = (performance.now() - started) / 1000;
    const memory = {
      baselineRssMiB: round(baseline.rss / MiB),
      peakRssAboveBaselineMiB: round((peakRss - baseline.rss) / MiB),
      baselineHeapUsedMiB: round(baseline.heapUsed / MiB),
      peakHeapUsedAboveBaselineMiB: round((peakHeapUsed - baseline.heapUsed) / MiB),
      maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
    };
    return { value, seconds, memory };
  } finally {
    clearInterval(timer);
  }
}

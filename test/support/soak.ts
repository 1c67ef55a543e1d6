import { createCipheriv, createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  DeleteArchiveCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';

export interface SoakOptions {
  clients: number;
  seconds: number;
  /** Vaults the clients share (client i works in vault i mod vaults). */
  vaults: string[];
  makeClient: () => GlacierClient;
  /** Caps besides the time: operations (actions) per client, and archives a client keeps before it deletes one. */
  maxActionsPerClient?: number;
  maxLiveArchivesPerClient?: number;
  /** Concurrency of the final check that every archive kept is retrievable. */
  verifyConcurrency?: number;
}

/** An acknowledged archive: its bytes are regenerated from the seed, never kept. */
interface ArchiveRef {
  vaultName: string;
  archiveId: string;
  seed: string;
  size: number;
}

export interface SoakResult {
  clients: number;
  runMs: number;
  verifyMs: number;
  /** Latencies in ms of each operation of the run phase, by operation name. */
  latencies: Map<string, number[]>;
  errorCount: number;
  /** The first few errors, for the test's message. */
  errors: string[];
  uploaded: { archives: number; bytes: number };
  deleted: number;
  retrievalsChecked: number;
  downloadedBytes: number;
  verified: { archives: number; bytes: number };
}

const PART_SIZE = MiB;
/** GetJobOutput bodies are fetched in ranges of at most this, under the endpoint's body limit. */
const DOWNLOAD_CHUNK = 4 * MiB;
const MAX_SINGLE_UPLOAD = 2 * MiB;
const JOB_POLLS = 600;
const KEPT_ERRORS = 20;

/** Deterministic bytes for a seed (AES-CTR of zeros): cheap to regenerate for comparison. */
export function bytesFor(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytesOf = async (body: unknown) =>
  Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

/** Thrown after an error was recorded, so that the action stops without counting it twice. */
class Recorded extends Error {}

class Recorder {
  readonly latencies = new Map<string, number[]>();
  errorCount = 0;
  readonly errors: string[] = [];
  downloadedBytes = 0;

  fail(what: string, detail: string): never {
    this.errorCount += 1;
    if (this.errors.length < KEPT_ERRORS) this.errors.push(`${what}: ${detail}`);
    throw new Recorded(detail);
  }

  /** Times one call; a thrown error or a status other than `status` is recorded as an error. */
  async call<T extends { $metadata: { httpStatusCode?: number } }>(operation: string, status: number, send: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let result: T;
    try {
      result = await send();
    } catch (error) {
      const code = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return this.fail(operation, `${code ?? 'no status'} ${(error as Error).name}: ${(error as Error).message}`);
    }
    const elapsed = performance.now() - started;
    if (result.$metadata.httpStatusCode !== status) this.fail(operation, `status ${result.$metadata.httpStatusCode}, expected ${status}`);
    let list = this.latencies.get(operation);
    if (!list) this.latencies.set(operation, (list = []));
    list.push(elapsed);
    return result;
  }
}

/** One simulated client: its own SDK client, and the archives it uploaded and has not deleted. */
class Worker {
  readonly live: ArchiveRef[] = [];
  uploadedArchives = 0;
  uploadedBytes = 0;
  deleted = 0;
  retrievalsChecked = 0;
  private uploads = 0;

  constructor(
    private readonly id: number,
    private readonly vaultName: string,
    private readonly client: GlacierClient,
    private readonly rec: Recorder,
  ) {}

  private nextSeed(): string {
    this.uploads += 1;
    return `soak-${this.id}-${this.uploads}`;
  }

  private acknowledged(ref: ArchiveRef, returnedTreeHash: string | undefined, bytes: Buffer, operation: string): void {
    const expected = treeHash(bytes).toString('hex');
    if (returnedTreeHash !== expected) this.rec.fail(operation, `archive ${ref.seed}: tree hash ${returnedTreeHash}, expected ${expected}`);
    this.live.push(ref);
    this.uploadedArchives += 1;
    this.uploadedBytes += ref.size;
  }

  async upload(): Promise<void> {
    const seed = this.nextSeed();
    const size = randomInt(1, MAX_SINGLE_UPLOAD);
    const body = bytesFor(seed, size);
    const out = await this.rec.call('UploadArchive', 201, () =>
      this.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: this.vaultName, body, archiveDescription: seed })),
    );
    this.acknowledged({ vaultName: this.vaultName, archiveId: out.archiveId as string, seed, size }, out.checksum, body, 'UploadArchive');
  }

  async multipartUpload(): Promise<void> {
    const seed = this.nextSeed();
    const size = (randomInt(2, 5) - 1) * PART_SIZE + randomInt(1, PART_SIZE);
    const bytes = bytesFor(seed, size);
    const { vaultName } = this;
    const { uploadId } = await this.rec.call('InitiateMultipartUpload', 201, () =>
      this.client.send(
        new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(PART_SIZE), archiveDescription: seed }),
      ),
    );
    for (let start = 0; start < size; start += PART_SIZE) {
      const body = bytes.subarray(start, start + PART_SIZE);
      await this.rec.call('UploadMultipartPart', 204, () =>
        this.client.send(
          new UploadMultipartPartCommand({
            accountId: '-',
            vaultName,
            uploadId,
            range: `bytes ${start}-${start + body.length - 1}/*`,
            body,
          }),
        ),
      );
    }
    const done = await this.rec.call('CompleteMultipartUpload', 201, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          accountId: '-',
          vaultName,
          uploadId,
          archiveSize: String(size),
          checksum: treeHash(bytes).toString('hex'),
        }),
      ),
    );
    this.acknowledged({ vaultName, archiveId: done.archiveId as string, seed, size }, done.checksum, bytes, 'CompleteMultipartUpload');
  }

  /** Retrieves an archive (or a MiB-aligned range of it), and checks the output (or a range of it) byte for byte. */
  async retrieve(ref: ArchiveRef, partial: boolean): Promise<number> {
    let start = 0;
    let end = ref.size - 1;
    if (partial && ref.size > MiB) {
      const lastMiB = Math.floor((ref.size - 1) / MiB);
      start = randomInt(0, lastMiB) * MiB;
      const stop = randomInt(start / MiB + 1, lastMiB + 1) * MiB;
      end = Math.min(stop, ref.size) - 1;
    }
    const whole = start === 0 && end === ref.size - 1;
    const { jobId } = await this.rec.call('InitiateJob', 202, () =>
      this.client.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: ref.vaultName,
          jobParameters: {
            Type: 'archive-retrieval',
            ArchiveId: ref.archiveId,
            ...(whole ? {} : { RetrievalByteRange: `${start}-${end}` }),
          },
        }),
      ),
    );
    for (let poll = 0; ; poll += 1) {
      const job = await this.rec.call('DescribeJob', 200, () =>
        this.client.send(new DescribeJobCommand({ accountId: '-', vaultName: ref.vaultName, jobId })),
      );
      if (job.Completed) {
        if (job.StatusCode !== 'Succeeded')
          this.rec.fail('DescribeJob', `job for ${ref.seed} ended ${job.StatusCode}: ${job.StatusMessage}`);
        break;
      }
      if (poll >= JOB_POLLS) this.rec.fail('DescribeJob', `job for ${ref.seed} did not complete`);
      await sleep(25);
    }

    const expected = bytesFor(ref.seed, ref.size).subarray(start, end + 1);
    // A whole output, or (when partial) a random range of it.
    let from = 0;
    let to = expected.length - 1;
    if (partial) {
      from = randomInt(0, expected.length - 1);
      to = randomInt(from, Math.min(expected.length, from + DOWNLOAD_CHUNK) - 1);
    }
    for (let offset = from; offset <= to; offset += DOWNLOAD_CHUNK) {
      const last = Math.min(to, offset + DOWNLOAD_CHUNK - 1);
      const ranged = !(offset === 0 && last === expected.length - 1);
      const status = ranged ? 206 : 200;
      const { out, bytes } = await this.rec.call('GetJobOutput', status, async () => {
        const result = await this.client.send(
          new GetJobOutputCommand({ accountId: '-', vaultName: ref.vaultName, jobId, ...(ranged && { range: `bytes=${offset}-${last}` }) }),
        );
        return { out: result, bytes: await bytesOf(result.body), $metadata: result.$metadata };
      });
      if (!bytes.equals(expected.subarray(offset, last + 1)))
        this.rec.fail('GetJobOutput', `bytes ${offset}-${last} of ${ref.seed} differ`);
      if (out.checksum !== undefined && out.checksum !== treeHash(bytes).toString('hex')) {
        this.rec.fail('GetJobOutput', `tree hash header of bytes ${offset}-${last} of ${ref.seed} is wrong`);
      }
      this.rec.downloadedBytes += bytes.length;
    }
    this.retrievalsChecked += 1;
    return to - from + 1;
  }

  async list(): Promise<void> {
    const which = randomInt(0, 2);
    if (which === 0) await this.rec.call('ListVaults', 200, () => this.client.send(new ListVaultsCommand({ accountId: '-' })));
    else if (which === 1)
      await this.rec.call('ListJobs', 200, () => this.client.send(new ListJobsCommand({ accountId: '-', vaultName: this.vaultName })));
    else
      await this.rec.call('ListMultipartUploads', 200, () =>
        this.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: this.vaultName })),
      );
  }

  async deleteOne(): Promise<void> {
    const index = randomInt(0, this.live.length - 1);
    const ref = this.live[index];
    await this.rec.call('DeleteArchive', 204, () =>
      this.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: ref.vaultName, archiveId: ref.archiveId })),
    );
    this.live.splice(index, 1);
    this.deleted += 1;
  }

  /** One action drawn from the mix: uploads 30%, multipart uploads 8%, lists 32%, retrievals 18%, deletes 12%. */
  async act(maxLive: number): Promise<void> {
    if (this.live.length >= maxLive) return this.deleteOne();
    const roll = Math.random() * 100;
    if (roll < 30) return this.upload();
    if (roll < 38) return this.multipartUpload();
    if (roll < 70) return this.list();
    // Retrievals and deletes need an archive: until there is one, upload instead.
    if (this.live.length === 0) return this.upload();
    if (roll < 88) {
      await this.retrieve(this.live[randomInt(0, this.live.length - 1)], Math.random() < 0.5);
      return;
    }
    return this.deleteOne();
  }
}

async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/**
 * Runs the clients for the given time (or until each has done its number of actions), then
 * retrieves every archive they kept and compares it byte for byte.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const rec = new Recorder();
  const maxActions = options.maxActionsPerClient ?? 100_000;
  const maxLive = options.maxLiveArchivesPerClient ?? 16;
  const clients = Array.from({ length: options.clients }, () => options.makeClient());
  const workers = clients.map((client, i) => new Worker(i, options.vaults[i % options.vaults.length], client, rec));

  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    workers.map(async (worker) => {
      for (let done = 0; done < maxActions && performance.now() < deadline; done += 1) {
        try {
          await worker.act(maxLive);
        } catch (error) {
          if (error instanceof Recorded) continue;
          rec.errorCount += 1;
          if (rec.errors.length < KEPT_ERRORS) rec.errors.push(`unexpected: ${(error as Error).stack ?? String(error)}`);
        }
      }
    }),
  );
  const runMs = performance.now() - started;

  // Every acknowledged archive not deleted must come back whole.
  const verifier = new Recorder();
  const checks = workers.flatMap((worker, i) =>
    worker.live.map((ref) => () => new Worker(-1, ref.vaultName, clients[i], verifier).retrieve(ref, false)),
  );
  const verified = { archives: 0, bytes: 0 };
  const verifyStarted = performance.now();
  await inParallel(checks, options.verifyConcurrency ?? 8, async (check) => {
    try {
      const bytes = await check();
      verified.bytes += bytes;
      verified.archives += 1;
    } catch (error) {
      if (!(error instanceof Recorded)) throw error;
    }
  });
  const verifyMs = performance.now() - verifyStarted;
  for (const client of clients) client.destroy();

  const sum = (pick: (worker: Worker) => number) => workers.reduce((total, worker) => total + pick(worker), 0);
  return {
    clients: options.clients,
    runMs,
    verifyMs,
    latencies: rec.latencies,
    errorCount: rec.errorCount + verifier.errorCount,
    errors: [...rec.errors, ...verifier.errors.map((error) => `verify ${error}`)].slice(0, KEPT_ERRORS),
    uploaded: { archives: sum((w) => w.uploadedArchives), bytes: sum((w) => w.uploadedBytes) },
    deleted: sum((w) => w.deleted),
    retrievalsChecked: sum((w) => w.retrievalsChecked),
    downloadedBytes: rec.downloadedBytes,
    verified,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The figures as a table: throughput and latency percentiles per operation, then totals. */
export function formatReport(result: SoakResult): string {
  const seconds = result.runMs / 1000;
  const row = (cells: (string | number)[]) =>
    cells.map((cell, i) => (i === 0 ? String(cell).padEnd(24) : String(cell).padStart(9))).join(' ');
  const ms = (value: number) => value.toFixed(1);
  const lines = [
    `soak: ${result.clients} clients for ${seconds.toFixed(1)} s`,
    row(['operation', 'count', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms']),
  ];
  let total = 0;
  for (const [operation, latencies] of [...result.latencies].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...latencies].sort((a, b) => a - b);
    total += sorted.length;
    lines.push(
      row([
        operation,
        sorted.length,
        (sorted.length / seconds).toFixed(1),
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 95)),
        ms(percentile(sorted, 99)),
        ms(sorted[sorted.length - 1]),
      ]),
    );
  }
  const all = [...result.latencies.values()].flat().sort((a, b) => a - b);
  if (all.length > 0)
    lines.push(
      row([
        'all',
        total,
        (total / seconds).toFixed(1),
        ms(percentile(all, 50)),
        ms(percentile(all, 95)),
        ms(percentile(all, 99)),
        ms(all[all.length - 1]),
      ]),
    );
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  lines.push(
    `uploaded ${result.uploaded.archives} archives, ${mib(result.uploaded.bytes)} MiB (${mib(result.uploaded.bytes / seconds)} MiB/s); deleted ${result.deleted}`,
    `checked ${result.retrievalsChecked} retrievals, ${mib(result.downloadedBytes)} MiB downloaded (${mib(result.downloadedBytes / seconds)} MiB/s)`,
    `verified ${result.verified.archives} kept archives, ${mib(result.verified.bytes)} MiB, in ${(result.verifyMs / 1000).toFixed(1)} s`,
    `errors: ${result.errorCount}`,
  );
  return lines.join('\n');
}

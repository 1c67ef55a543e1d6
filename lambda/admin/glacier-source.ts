// The vault an import copies from: any endpoint that speaks the Glacier API (Amazon Glacier
// with the standard credential chain, or another coldvault with keys).
import { Readable } from 'node:stream';
import {
  DescribeJobCommand,
  DescribeVaultCommand,
  GetDataRetrievalPolicyCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  type GlacierClientConfig,
} from '@aws-sdk/client-glacier';
import { combineTreeHashes, MiB, sha256 } from '../domain/checksums';
import { importPoint } from './import-failpoints';

export interface SourceOptions {
  vaultName: string;
  /** The source account ('-': the credentials' own). */
  accountId: string;
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface InventoryArchive {
  ArchiveId: string;
  ArchiveDescription: string;
  CreationDate: string;
  Size: number;
  SHA256TreeHash: string;
}

export interface SourceInventory {
  VaultARN?: string;
  InventoryDate?: string;
  ArchiveList: InventoryArchive[];
}

export type SourceJobState =
  { status: 'InProgress' } | { status: 'Succeeded' } | { status: 'Failed'; message: string } | { status: 'Gone' };

/** The source's data retrieval policy, as the import's daily budget needs it. */
export type SourceRetrievalPolicy = { strategy: 'None' } | { strategy: 'FreeTier' } | { strategy: 'BytesPerHour'; bytesPerHour: number };

export class SourceVerificationError extends Error {}

const RANGE_ATTEMPTS = 3;

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

/** Validates an inventory (from the source or a file): the fields the import keeps, for every archive. */
export function parseInventory(text: string): SourceInventory {
  const parsed = JSON.parse(text) as { ArchiveList?: unknown };
  if (!parsed || !Array.isArray(parsed.ArchiveList)) throw new Error('An inventory is a JSON object with an ArchiveList');
  for (const [index, entry] of (parsed.ArchiveList as Record<string, unknown>[]).entries()) {
    const ok =
      typeof entry.ArchiveId === 'string' &&
      entry.ArchiveId.length > 0 &&
      typeof entry.CreationDate === 'string' &&
      typeof entry.Size === 'number' &&
      Number.isSafeInteger(entry.Size) &&
      entry.Size > 0 &&
      typeof entry.SHA256TreeHash === 'string' &&
      /^[0-9a-fA-F]{64}$/.test(entry.SHA256TreeHash);
    if (!ok) throw new Error(`Inventory entry ${index} lacks a valid ArchiveId, CreationDate, Size or SHA256TreeHash`);
    if (typeof entry.ArchiveDescription !== 'string') entry.ArchiveDescription = '';
  }
  return parsed as SourceInventory;
}

export class GlacierSource {
  readonly client: GlacierClient;

  constructor(readonly options: SourceOptions) {
    const config: GlacierClientConfig = {
      ...(options.region && { region: options.region }),
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.credentials && { credentials: options.credentials }),
    };
    this.client = new GlacierClient(config);
  }

  private get where() {
    return { accountId: this.options.accountId, vaultName: this.options.vaultName };
  }

  async describeVault() {
    return this.client.send(new DescribeVaultCommand(this.where));
  }

  async retrievalPolicy(): Promise<SourceRetrievalPolicy> {
    const out = await this.client.send(new GetDataRetrievalPolicyCommand({ accountId: this.options.accountId }));
    const rule = out.Policy?.Rules?.[0];
    if (rule?.Strategy === 'BytesPerHour' && rule.BytesPerHour) return { strategy: 'BytesPerHour', bytesPerHour: rule.BytesPerHour };
    if (rule?.Strategy === 'FreeTier') return { strategy: 'FreeTier' };
    return { strategy: 'None' };
  }

  async initiateInventory(snsTopic?: string): Promise<string> {
    const out = await this.client.send(
      new InitiateJobCommand({
        ...this.where,
        jobParameters: { Type: 'inventory-retrieval', Format: 'JSON', Description: 'coldvault import', SNSTopic: snsTopic },
      }),
    );
    return out.jobId as string;
  }

  async initiateRetrieval(archiveId: string, tier: string, snsTopic?: string): Promise<string> {
    const out = await this.client.send(
      new InitiateJobCommand({
        ...this.where,
        jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: tier, Description: 'coldvault import', SNSTopic: snsTopic },
      }),
    );
    return out.jobId as string;
  }

  /** 'Gone': the source knows the job no more (its output expired 24 hours after it completed). */
  async jobState(jobId: string): Promise<SourceJobState> {
    try {
      const job = await this.client.send(new DescribeJobCommand({ ...this.where, jobId }));
      if (job.StatusCode === 'Succeeded') return { status: 'Succeeded' };
      if (job.StatusCode === 'Failed') return { status: 'Failed', message: job.StatusMessage ?? 'failed' };
      return { status: 'InProgress' };
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return { status: 'Gone' };
      throw error;
    }
  }

  async inventoryOutput(jobId: string): Promise<string> {
    const out = await this.client.send(new GetJobOutputCommand({ ...this.where, jobId }));
    return (await out.body?.transformToString()) ?? '';
  }

  /** One range of a job's output, with the tree hash the source sent for it (if it did). */
  async outputRange(jobId: string, start: number, end: number): Promise<{ bytes: Buffer; checksum?: string }> {
    const out = await this.client.send(new GetJobOutputCommand({ ...this.where, jobId, range: `bytes=${start}-${end}` }));
    const bytes = Buffer.from((await out.body?.transformToByteArray()) ?? []);
    return { bytes, checksum: out.checksum };
  }
}

export interface DownloadOptions {
  jobId: string;
  size: number;
  /** The archive's tree hash in the inventory: the whole download must match it. */
  treeHash: string;
  /** Bytes per GetJobOutput request: a power of two MiB, so that every range is tree-hash aligned. */
  rangeBytes: number;
  onBytes?: (count: number) => void;
}

function leavesOf(bytes: Buffer): Buffer[] {
  const leaves: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += MiB) leaves.push(sha256(bytes.subarray(offset, offset + MiB)));
  return leaves;
}

/**
 * A job's output as a stream of verified ranges: each range is downloaded (again, up to three
 * times, if its bytes don't match the tree hash the source sent for it), and the stream fails
 * at its end if the whole archive's tree hash is not the inventory's. A source that refuses a
 * range as too large (a Lambda-fronted endpoint) is asked for halves.
 */
export function downloadArchive(source: GlacierSource, options: DownloadOptions): Readable {
  async function* ranges() {
    const leaves: Buffer[] = [];
    let rangeBytes = options.rangeBytes;
    let start = 0;
    while (start < options.size) {
      const end = Math.min(start + rangeBytes, options.size) - 1;
      let range: Buffer | undefined;
      for (let attempt = 1; !range; attempt += 1) {
        let got: { bytes: Buffer; checksum?: string };
        try {
          got = await source.outputRange(options.jobId, start, end);
        } catch (error) {
          const tooLarge = errorName(error) === 'InvalidParameterValueException' && /per request/.test(String(error));
          if (tooLarge && rangeBytes > MiB) {
            rangeBytes /= 2;
            break;
          }
          if (attempt >= RANGE_ATTEMPTS || errorName(error) === 'ResourceNotFoundException') throw error;
          continue;
        }
        const rangeLeaves = leavesOf(got.bytes);
        const computed = combineTreeHashes(rangeLeaves).toString('hex');
        if (got.bytes.length === end - start + 1 && (!got.checksum || got.checksum.toLowerCase() === computed)) {
          range = got.bytes;
          leaves.push(...rangeLeaves);
        } else if (attempt >= RANGE_ATTEMPTS) {
          throw new SourceVerificationError(
            `Bytes ${start}-${end} did not match their tree hash after ${RANGE_ATTEMPTS} downloads (sent ${got.checksum}, computed ${computed})`,
          );
        }
      }
      if (!range) continue;
      importPoint('import:after-range');
      options.onBytes?.(range.length);
      yield range;
      start = end + 1;
    }
    const whole = combineTreeHashes(leaves).toString('hex');
    if (whole !== options.treeHash.toLowerCase()) {
      throw new SourceVerificationError(`The archive's tree hash is ${whole}, not ${options.treeHash} as in the inventory`);
    }
  }
  return Readable.from(ranges(), { objectMode: false });
}

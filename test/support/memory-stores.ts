// In-memory MetadataStore, UploadStore, BlobStore, JobStore, PurgeQueue and Notifier with the semantics
// of the DynamoDB, S3 and SNS adapters, for unit tests of the domain. Records are copied in and out, as a
// real store would.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readAll, streamOf } from '../../lambda/domain/blobs';
import { LAMBDA_MAX_BODY_BYTES } from '../../lambda/config';
import type { RetrievalTiming, Services } from '../../lambda/domain/services';
import type { AccountSettings, AccountStore } from '../../lambda/domain/account-ports';
import type {
  AbortOutcome,
  ArchiveRecord,
  BlobStore,
  DeleteArchiveOutcome,
  DeleteVaultOutcome,
  InventoryEntry,
  InventorySummary,
  JobRecord,
  JobStatus,
  JobStore,
  MetadataStore,
  Notifier,
  Page,
  PartRecord,
  PurgeQueue,
  PurgeTask,
  RestoreState,
  RestoreStatus,
  JobRef,
  StagedBlob,
  Tier,
  UploadRecord,
  UploadStore,
  VaultSettings,
  VaultRecord,
} from '../../lambda/domain/ports';

export interface MemoryMetadataOptions {
  /** Archives per listArchives page (the DynamoDB adapter reads 1,000). */
  archivePageSize?: number;
  /** Vaults per scanVaults page. */
  vaultPageSize?: number;
}

const key = (...parts: (string | number)[]) => JSON.stringify(parts);
const copy = <T>(value: T): T => structuredClone(value);

/** ASCII (code unit) order, as DynamoDB sorts string keys. */
const ascii = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryMetadataStore implements MetadataStore {
  private readonly vaults = new Map<string, VaultRecord>();
  private readonly archives = new Map<string, Map<string, ArchiveRecord>>();
  private readonly chunks = new Map<string, InventoryEntry[]>();
  private readonly archivePageSize: number;
  private readonly vaultPageSize: number;

  constructor(options: MemoryMetadataOptions = {}) {
    this.archivePageSize = options.archivePageSize ?? 1000;
    this.vaultPageSize = options.vaultPageSize ?? 100;
  }

  /** Inventory chunks held for all vaults, to check that none are left behind. */
  inventoryChunkCount(): number {
    return this.chunks.size;
  }

  async getVault(accountId: string, vaultName: string): Promise<VaultRecord | undefined> {
    const vault = this.vaults.get(key(accountId, vaultName));
    return vault && copy(vault);
  }

  async createVault(vault: VaultRecord): Promise<boolean> {
    const id = key(vault.accountId, vault.vaultName);
    if (this.vaults.has(id)) return false;
    // Like the adapter, a new vault starts with no writes and no inventory.
    this.vaults.set(id, { accountId: vault.accountId, vaultName: vault.vaultName, creationDate: vault.creationDate });
    return true;
  }

  async countVaults(accountId: string): Promise<number> {
    return this.accountVaults(accountId).length;
  }

  async listVaults(accountId: string, startAfter: string | undefined, limit: number): Promise<Page<VaultRecord>> {
    const after = this.accountVaults(accountId).filter((vault) => startAfter === undefined || vault.vaultName > startAfter);
    const items = after.slice(0, limit).map(copy);
    return { items, cursor: after.length > limit ? items[items.length - 1]?.vaultName : undefined };
  }

  async scanVaults(cursor?: string): Promise<Page<VaultRecord>> {
    const all = [...this.vaults.values()].sort((a, b) => ascii(key(a.accountId, a.vaultName), key(b.accountId, b.vaultName)));
    const rest = cursor === undefined ? all : all.filter((vault) => ascii(key(vault.accountId, vault.vaultName), cursor) > 0);
    const items = rest.slice(0, this.vaultPageSize);
    const last = items[items.length - 1];
    return { items: items.map(copy), cursor: rest.length > items.length && last ? key(last.accountId, last.vaultName) : undefined };
  }

  async deleteVaultIfIdle(accountId: string, vaultName: string): Promise<DeleteVaultOutcome> {
    const id = key(accountId, vaultName);
    const vault = this.vaults.get(id);
    if (!vault) return 'absent';
    const idle =
      vault.lastWriteMs === undefined ||
      (vault.inventory !== undefined && vault.inventory.numberOfArchives === 0 && vault.lastWriteMs < vault.inventory.asOfMs);
    if (!idle) return 'not-empty';
    this.vaults.delete(id);
    return 'deleted';
  }

  async recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<string | undefined> {
    const vault = this.vaults.get(key(accountId, vaultName));
    if (!vault) return undefined;
    vault.lastWriteMs = atMs;
    return vault.creationDate;
  }

  async setVaultSetting<K extends keyof VaultSettings>(
    accountId: string,
    vaultName: string,
    name: K,
    value: VaultSettings[K] | undefined,
    expected?: VaultSettings[K] | null,
  ): Promise<boolean> {
    const vault = this.vaults.get(key(accountId, vaultName));
    if (!vault) return false;
    if (expected === null && vault[name] !== undefined) return false;
    if (expected !== undefined && expected !== null && JSON.stringify(vault[name]) !== JSON.stringify(expected)) return false;
    if (value === undefined) delete vault[name];
    else vault[name] = copy(value);
    return true;
  }

  async createArchive(archive: ArchiveRecord): Promise<boolean> {
    const id = key(archive.accountId, archive.vaultName);
    const archives = this.archives.get(id) ?? new Map<string, ArchiveRecord>();
    this.archives.set(id, archives);
    if (archives.has(archive.archiveId)) return false;
    // Deletion is only ever recorded by markArchiveDeleted.
    const stored = copy(archive);
    delete stored.deletedDate;
    archives.set(archive.archiveId, stored);
    return true;
  }

  async getArchive(accountId: string, vaultName: string, archiveId: string): Promise<ArchiveRecord | undefined> {
    const archive = this.archives.get(key(accountId, vaultName))?.get(archiveId);
    return archive && copy(archive);
  }

  async markArchiveDeleted(accountId: string, vaultName: string, archiveId: string, date: string): Promise<DeleteArchiveOutcome> {
    const archive = this.archives.get(key(accountId, vaultName))?.get(archiveId);
    if (!archive) return 'absent';
    if (archive.deletedDate) return 'already-deleted';
    archive.deletedDate = date;
    return 'deleted';
  }

  async listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>> {
    const all = [...(this.archives.get(key(accountId, vaultName))?.values() ?? [])].sort((a, b) => ascii(a.archiveId, b.archiveId));
    const rest = cursor === undefined ? all : all.filter((archive) => archive.archiveId > cursor);
    const items = rest.slice(0, this.archivePageSize);
    // Like a DynamoDB query with a Limit: a full page always carries a cursor, even if nothing follows.
    const full = items.length === this.archivePageSize;
    return { items: items.map(copy), cursor: full ? items[items.length - 1].archiveId : undefined };
  }

  async putInventoryChunk(
    accountId: string,
    vaultName: string,
    inventoryId: string,
    index: number,
    entries: InventoryEntry[],
  ): Promise<void> {
    this.chunks.set(key(accountId, vaultName, inventoryId, index), copy(entries));
  }

  async getInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number): Promise<InventoryEntry[] | undefined> {
    const entries = this.chunks.get(key(accountId, vaultName, inventoryId, index));
    return entries && copy(entries);
  }

  async deleteInventoryChunks(accountId: string, vaultName: string, inventoryId: string, count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) this.chunks.delete(key(accountId, vaultName, inventoryId, index));
  }

  async commitInventory(vault: VaultRecord, summary: InventorySummary): Promise<{ replaced?: InventorySummary } | false> {
    const current = this.vaults.get(key(vault.accountId, vault.vaultName));
    if (!current || current.creationDate !== vault.creationDate) return false;
    if (current.inventory && current.inventory.asOfMs >= summary.asOfMs) return false;
    const replaced = current.inventory;
    current.inventory = copy(summary);
    return { replaced };
  }

  private accountVaults(accountId: string): VaultRecord[] {
    return [...this.vaults.values()].filter((vault) => vault.accountId === accountId).sort((a, b) => ascii(a.vaultName, b.vaultName));
  }
}

/** Bytes by key; like S3 it refuses a body whose SHA-256 is not the one given. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  /** Keys being written or written and not yet committed or discarded. */
  private readonly staging = new Set<string>();
  private readonly staged = new Map<string, { bytes: Buffer; hot: boolean }>();
  /** Every get, in order. */
  readonly reads: { key: string; range?: { start: number; end: number } }[] = [];
  private readonly hot = new Set<string>();
  private readonly restoreAnswers = new Map<string, RestoreState>();
  /** Every restore asked for, in order. */
  readonly restores: { key: string; tier: Tier; days: number }[] = [];

  keys(): string[] {
    return [...new Set([...this.blobs.keys(), ...this.staging])];
  }

  /** Keys stored in the instant (hot) class. */
  hotKeys(): string[] {
    return [...this.hot].filter((key) => this.blobs.has(key));
  }

  /**
   * What restores of these keys answer from now on: 'started' as for an object in an archive
   * class, 'restored' once its copy is there. Keys never set answer 'restored', as an object in
   * an instant class does.
   */
  answerRestores(keys: string[], state: RestoreState): void {
    for (const key of keys) this.restoreAnswers.set(key, state);
  }

  /**
   * Reads the whole stream. Staged bytes are listed (as an S3 object or a temp file would be
   * found by a scan) but not readable until committed.
   */
  async stage(key: string, body: Readable, options: { size: number; sha256?: Buffer; hot?: boolean }): Promise<StagedBlob> {
    this.staging.add(key);
    let bytes: Buffer;
    try {
      bytes = await readAll(body);
      if (bytes.length !== options.size) throw new Error(`IncompleteBody: ${key} has ${bytes.length} bytes, ${options.size} expected`);
      if (options.sha256 && !createHash('sha256').update(bytes).digest().equals(options.sha256)) {
        throw new Error(`BadDigest: the SHA-256 of ${key} does not match`);
      }
    } catch (error) {
      this.staging.delete(key);
      throw error;
    }
    this.staged.set(key, { bytes, hot: options.hot ?? false });
    return {
      commit: async () => {
        const staged = this.staged.get(key);
        if (!staged || staged.bytes !== bytes) return;
        this.staged.delete(key);
        this.staging.delete(key);
        this.blobs.set(key, bytes);
        if (staged.hot) this.hot.add(key);
        else this.hot.delete(key);
      },
      discard: async () => {
        if (this.staged.get(key)?.bytes !== bytes) return;
        this.staged.delete(key);
        this.staging.delete(key);
      },
    };
  }

  /** A committed blob's bytes, for assertions. */
  bytes(key: string): Buffer {
    const blob = this.blobs.get(key);
    if (!blob) throw new Error(`NoSuchKey: ${key}`);
    return Buffer.from(blob);
  }

  async restore(key: string, tier: Tier, days: number): Promise<RestoreState> {
    if (!this.blobs.has(key)) throw new Error(`NoSuchKey: ${key}`);
    this.restores.push({ key, tier, days });
    return this.restoreAnswers.get(key) ?? 'restored';
  }

  /** 'in-progress' once a restore was asked for (until answerRestores says 'restored'); 'none' before. */
  async restoreStatus(key: string): Promise<RestoreStatus> {
    if (!this.blobs.has(key)) throw new Error(`NotFound: ${key}`);
    const answer = this.restoreAnswers.get(key) ?? 'restored';
    if (answer === 'restored') return 'restored';
    return this.restores.some((call) => call.key === key) ? 'in-progress' : 'none';
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const blob = this.blobs.get(key);
    if (!blob) throw new Error(`NoSuchKey: ${key}`);
    this.reads.push({ key, range });
    return streamOf(Buffer.from(range ? blob.subarray(range.start, range.end + 1) : blob));
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
    this.staged.delete(key);
    this.staging.delete(key);
    this.hot.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return this.keys()
      .filter((key) => key.startsWith(prefix))
      .sort(ascii);
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }
}

export interface MemoryUploadOptions {
  /** Uploads per listIdleUploads page (the DynamoDB adapter reads up to 1 MB). */
  idlePageSize?: number;
}

/** The conditions the DynamoDB adapter puts on an update, as predicates. */
const isOpen = (upload: UploadRecord) => !upload.completed && !upload.aborted;

/** Uploads, their parts and multipart archives' segment lists. */
export class MemoryUploadStore implements UploadStore {
  private readonly uploads = new Map<string, UploadRecord>();
  private readonly parts = new Map<string, Map<number, PartRecord>>();
  private readonly segments = new Map<string, string[]>();
  private readonly idlePageSize: number;

  constructor(options: MemoryUploadOptions = {}) {
    this.idlePageSize = options.idlePageSize ?? 100;
  }

  /** Part records held for all uploads, to check that none are left behind. */
  partCount(): number {
    return [...this.parts.values()].reduce((sum, parts) => sum + parts.size, 0);
  }

  async createUpload(upload: UploadRecord): Promise<void> {
    const { accountId, vaultName, uploadId, description, partSize, creationDate, lastActivityMs } = upload;
    this.uploads.set(key(accountId, vaultName, uploadId), {
      accountId,
      vaultName,
      uploadId,
      description,
      partSize,
      creationDate,
      lastActivityMs,
    });
  }

  async getUpload(accountId: string, vaultName: string, uploadId: string): Promise<UploadRecord | undefined> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    return upload && copy(upload);
  }

  async listUploads(accountId: string, vaultName: string, startAfter: string | undefined, limit: number): Promise<Page<UploadRecord>> {
    const after = [...this.uploads.values()]
      .filter((upload) => upload.accountId === accountId && upload.vaultName === vaultName && isOpen(upload))
      .filter((upload) => startAfter === undefined || upload.uploadId > startAfter)
      .sort((a, b) => ascii(a.uploadId, b.uploadId));
    const items = after.slice(0, limit).map(copy);
    return { items, cursor: after.length > limit ? items[items.length - 1]?.uploadId : undefined };
  }

  async putPart(accountId: string, vaultName: string, uploadId: string, part: PartRecord): Promise<string | undefined> {
    const id = key(accountId, vaultName, uploadId);
    const parts = this.parts.get(id) ?? new Map<number, PartRecord>();
    this.parts.set(id, parts);
    const replaced = parts.get(part.index);
    parts.set(part.index, copy(part));
    return replaced?.blobKey;
  }

  async listParts(accountId: string, vaultName: string, uploadId: string, fromIndex: number, limit: number): Promise<Page<PartRecord>> {
    const rest = [...(this.parts.get(key(accountId, vaultName, uploadId))?.values() ?? [])]
      .filter((part) => part.index >= fromIndex)
      .sort((a, b) => a.index - b.index);
    const items = rest.slice(0, limit).map(copy);
    return { items, cursor: rest.length > limit ? String(items[items.length - 1].index + 1) : undefined };
  }

  async touchUpload(accountId: string, vaultName: string, uploadId: string, atMs: number): Promise<boolean> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload || !isOpen(upload) || upload.reservedArchiveId) return false;
    upload.lastActivityMs = atMs;
    return true;
  }

  async reserveArchiveId(accountId: string, vaultName: string, uploadId: string, candidate: string): Promise<string | undefined> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload || upload.aborted) return undefined;
    upload.reservedArchiveId ??= candidate;
    return upload.reservedArchiveId;
  }

  async markCompleted(
    accountId: string,
    vaultName: string,
    uploadId: string,
    completed: NonNullable<UploadRecord['completed']>,
  ): Promise<void> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload) throw new Error(`ConditionalCheckFailedException: no upload ${uploadId}`);
    upload.completed = copy(completed);
  }

  async markAborted(accountId: string, vaultName: string, uploadId: string, idleBeforeMs?: number): Promise<AbortOutcome> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload) return 'absent';
    if (upload.completed || upload.reservedArchiveId) return 'completed';
    if (!upload.aborted && idleBeforeMs !== undefined && upload.lastActivityMs >= idleBeforeMs) return 'active';
    upload.aborted = true;
    return 'aborted';
  }

  async removeUpload(accountId: string, vaultName: string, uploadId: string): Promise<void> {
    this.uploads.delete(key(accountId, vaultName, uploadId));
    this.parts.delete(key(accountId, vaultName, uploadId));
  }

  async listIdleUploads(beforeMs: number, cursor?: string): Promise<Page<UploadRecord>> {
    // Ordered like the adapter's index: by last activity, then by where the upload is.
    const order = (upload: UploadRecord) =>
      key(String(upload.lastActivityMs).padStart(15, '0'), upload.accountId, upload.vaultName, upload.uploadId);
    const rest = [...this.uploads.values()]
      .filter((upload) => upload.lastActivityMs < beforeMs && (cursor === undefined || ascii(order(upload), cursor) > 0))
      .sort((a, b) => ascii(order(a), order(b)));
    const items = rest.slice(0, this.idlePageSize);
    const last = items[items.length - 1];
    return { items: items.map(copy), cursor: rest.length > items.length && last ? order(last) : undefined };
  }

  async putSegments(accountId: string, vaultName: string, archiveId: string, chunk: number, blobKeys: string[]): Promise<void> {
    this.segments.set(key(accountId, vaultName, archiveId, chunk), [...blobKeys]);
  }

  async getSegments(accountId: string, vaultName: string, archiveId: string, chunk: number): Promise<string[] | undefined> {
    const keys = this.segments.get(key(accountId, vaultName, archiveId, chunk));
    return keys && [...keys];
  }

  async deleteSegments(accountId: string, vaultName: string, archiveId: string, chunks: number): Promise<void> {
    for (let chunk = 0; chunk < chunks; chunk += 1) this.segments.delete(key(accountId, vaultName, archiveId, chunk));
  }

  /** Segment chunks held for all archives, to check that none are left behind. */
  segmentChunkCount(): number {
    return this.segments.size;
  }
}

export interface MemoryJobOptions {
  /** Jobs per listDueJobs page (the DynamoDB adapter reads up to 1 MB). */
  duePageSize?: number;
}

/** Retrieval jobs and the restores they wait for. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  /** Blob key -> the jobs waiting for its restore, by job key. */
  private readonly waits = new Map<string, Map<string, JobRef>>();
  /** Jobs whose notifications were published, by job key. */
  private readonly notified = new Set<string>();
  /** Re-check times set after creation, by job key. */
  private readonly rechecks = new Map<string, number>();
  private readonly duePageSize: number;

  constructor(options: MemoryJobOptions = {}) {
    this.duePageSize = options.duePageSize ?? 100;
  }

  async createJob(job: JobRecord): Promise<void> {
    this.jobs.set(key(job.accountId, job.vaultName, job.jobId), copy(job));
  }

  async getJob(accountId: string, vaultName: string, jobId: string): Promise<JobRecord | undefined> {
    const job = this.jobs.get(key(accountId, vaultName, jobId));
    return job && copy(job);
  }

  async listJobs(
    accountId: string,
    vaultName: string,
    filter: { status?: JobStatus; completed?: boolean },
    startAfter: string | undefined,
    limit: number,
  ): Promise<Page<JobRecord>> {
    const after = [...this.jobs.values()]
      .filter((job) => job.accountId === accountId && job.vaultName === vaultName)
      .filter((job) => startAfter === undefined || ascii(job.jobId, startAfter) > 0)
      .filter((job) => filter.status === undefined || job.status === filter.status)
      .filter((job) => filter.completed === undefined || filter.completed === (job.status !== 'InProgress'))
      .sort((a, b) => ascii(a.jobId, b.jobId));
    const items = after.slice(0, limit).map(copy);
    return { items, cursor: after.length > limit ? items[items.length - 1]?.jobId : undefined };
  }

  async finishJob(job: JobRecord): Promise<boolean> {
    const id = key(job.accountId, job.vaultName, job.jobId);
    if (this.jobs.get(id)?.status !== 'InProgress') return false;
    this.jobs.set(id, copy(job));
    return true;
  }

  /** Like the adapter's index entry: the delay's end; for restore timing 0 once nothing is pending, else the re-check time. */
  private dueAt(job: JobRecord): number | undefined {
    if (job.readyAtMs !== undefined) return job.readyAtMs;
    if (job.pendingRestores === 0) return 0;
    return this.rechecks.get(key(job.accountId, job.vaultName, job.jobId)) ?? job.recheckAtMs;
  }

  async listDueJobs(nowMs: number, cursor?: string): Promise<Page<JobRecord>> {
    // Ordered like the adapter's index: by due time, then by where the job is.
    const order = (job: JobRecord) => key(String(this.dueAt(job)).padStart(15, '0'), job.accountId, job.vaultName, job.jobId);
    return this.indexPage((job) => job.status === 'InProgress' && (this.dueAt(job) ?? Infinity) <= nowMs, order, cursor);
  }

  async listUnnotifiedJobs(finishedBeforeMs: number, cursor?: string): Promise<Page<JobRecord>> {
    const finishedAt = (job: JobRecord) => Date.parse(job.completionDate ?? job.creationDate);
    const order = (job: JobRecord) => key(String(finishedAt(job)).padStart(15, '0'), job.accountId, job.vaultName, job.jobId);
    const unnotified = (job: JobRecord) =>
      job.status !== 'InProgress' && Boolean(job.notifyTopics?.length) && !this.notified.has(key(job.accountId, job.vaultName, job.jobId));
    return this.indexPage((job) => unnotified(job) && finishedAt(job) <= finishedBeforeMs, order, cursor);
  }

  /** A page of the jobs an index partition holds (`included`), in the index's `order`, after `cursor`. */
  private indexPage(included: (job: JobRecord) => boolean, order: (job: JobRecord) => string, cursor: string | undefined): Page<JobRecord> {
    const rest = [...this.jobs.values()]
      .filter((job) => included(job) && (cursor === undefined || ascii(order(job), cursor) > 0))
      .sort((a, b) => ascii(order(a), order(b)));
    const items = rest.slice(0, this.duePageSize);
    const last = items[items.length - 1];
    return { items: items.map(copy), cursor: rest.length > items.length && last ? order(last) : undefined };
  }

  async markNotified(job: JobRef): Promise<void> {
    const id = key(job.accountId, job.vaultName, job.jobId);
    if (this.jobs.get(id)?.notifyTopics?.length) this.notified.add(id);
  }

  async scheduleRecheck(job: JobRef, atMs: number): Promise<void> {
    const id = key(job.accountId, job.vaultName, job.jobId);
    if (this.jobs.get(id)?.status === 'InProgress') this.rechecks.set(id, atMs);
  }

  async addRestoreWaits(job: JobRecord, blobKeys: string[]): Promise<void> {
    const ref = { accountId: job.accountId, vaultName: job.vaultName, jobId: job.jobId };
    for (const blobKey of blobKeys) {
      const waiting = this.waits.get(blobKey) ?? new Map<string, JobRef>();
      this.waits.set(blobKey, waiting);
      waiting.set(key(ref.accountId, ref.vaultName, ref.jobId), ref);
    }
  }

  async releaseRestoreWaits(blobKey: string): Promise<JobRef[]> {
    const waiting = this.waits.get(blobKey);
    this.waits.delete(blobKey);
    const ready: JobRef[] = [];
    for (const [id, ref] of waiting ?? []) {
      const job = this.jobs.get(id);
      if (!job) continue;
      // Like DynamoDB's ADD, a missing count counts from 0.
      job.pendingRestores = (job.pendingRestores ?? 0) - 1;
      if (job.pendingRestores === 0) ready.push({ ...ref });
    }
    return ready;
  }

  /** Restore waits not yet released, to check that none are left behind. */
  waitCount(): number {
    return [...this.waits.values()].reduce((sum, waiting) => sum + waiting.size, 0);
  }
}

export interface MemoryPurgeOptions {
  /** Tasks per listDue page (the DynamoDB adapter reads up to 1 MB). */
  pageSize?: number;
}

/** Deferred deletions by due time. */
export class MemoryPurgeQueue implements PurgeQueue {
  private readonly tasks = new Map<string, PurgeTask>();
  private readonly pageSize: number;
  private scheduled = 0;

  constructor(options: MemoryPurgeOptions = {}) {
    this.pageSize = options.pageSize ?? 100;
  }

  async schedule(task: PurgeTask, dueMs: number): Promise<void> {
    this.scheduled += 1;
    this.tasks.set(`${String(dueMs).padStart(15, '0')}#${String(this.scheduled).padStart(10, '0')}`, copy(task));
  }

  async listDue(nowMs: number, cursor?: string): Promise<Page<{ handle: string; task: PurgeTask }>> {
    const rest = [...this.tasks.keys()]
      .filter((handle) => Number(handle.split('#')[0]) <= nowMs && (cursor === undefined || ascii(handle, cursor) > 0))
      .sort(ascii);
    const handles = rest.slice(0, this.pageSize);
    const items = handles.map((handle) => ({ handle, task: copy(this.tasks.get(handle) as PurgeTask) }));
    return { items, cursor: rest.length > handles.length ? handles[handles.length - 1] : undefined };
  }

  async remove(handle: string): Promise<void> {
    this.tasks.delete(handle);
  }

  /** Every task still queued, with when it is due, in due order. */
  pending(): { dueMs: number; task: PurgeTask }[] {
    return [...this.tasks.keys()]
      .sort(ascii)
      .map((handle) => ({ dueMs: Number(handle.split('#')[0]), task: copy(this.tasks.get(handle) as PurgeTask) }));
  }
}

/** Account settings, compared as JSON text on compare-and-set like the DynamoDB adapter. */
export class MemoryAccountStore implements AccountStore {
  private readonly settings = new Map<string, string>();

  async getAccountSetting<N extends keyof AccountSettings>(accountId: string, name: N): Promise<AccountSettings[N] | undefined> {
    const text = this.settings.get(key(accountId, name));
    return text === undefined ? undefined : (JSON.parse(text) as AccountSettings[N]);
  }

  async setAccountSetting<N extends keyof AccountSettings>(
    accountId: string,
    name: N,
    value: AccountSettings[N] | undefined,
    expected?: AccountSettings[N] | null,
  ): Promise<boolean> {
    const id = key(accountId, name);
    const current = this.settings.get(id);
    if (expected === null && current !== undefined) return false;
    if (expected !== undefined && expected !== null && current !== JSON.stringify(expected)) return false;
    if (value === undefined) this.settings.delete(id);
    else this.settings.set(id, JSON.stringify(value));
    return true;
  }
}

/** Records every notification published. */
export class MemoryNotifier implements Notifier {
  readonly deliveries: { topicArn: string; subject: string; message: string }[] = [];

  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    this.deliveries.push({ topicArn, subject, message });
  }
}

/** Retrieval job delays per tier of the memory services, unless told otherwise. */
export const MEMORY_JOB_DELAYS_MS: Record<Tier, number> = { Expedited: 1000, Standard: 3000, Bulk: 5000 };

export interface MemoryServices extends Services {
  metadata: MemoryMetadataStore;
  uploads: MemoryUploadStore;
  jobs: MemoryJobStore;
  purges: MemoryPurgeQueue;
  accounts: MemoryAccountStore;
  blobs: MemoryBlobStore;
  notifier: MemoryNotifier;
  /** Moves the clock forward. */
  advance(ms: number): void;
}

export interface MemoryServicesOptions {
  uploads?: MemoryUploadStore;
  jobs?: MemoryJobStore;
  purges?: MemoryPurgeQueue;
  accounts?: MemoryAccountStore;
  /** How jobs complete; by default after MEMORY_JOB_DELAYS_MS. */
  retrieval?: RetrievalTiming;
  /** The endpoint's request body limit; by default the Lambda one. */
  maxBodyBytes?: number;
}

/** Domain services on the in-memory stores with a clock that only moves when told to. */
export function memoryServices(
  metadata = new MemoryMetadataStore(),
  start = Date.parse('2024-06-01T12:00:00.000Z'),
  options: MemoryServicesOptions = {},
): MemoryServices {
  let nowMs = start;
  return {
    metadata,
    uploads: options.uploads ?? new MemoryUploadStore(),
    jobs: options.jobs ?? new MemoryJobStore(),
    purges: options.purges ?? new MemoryPurgeQueue(),
    accounts: options.accounts ?? new MemoryAccountStore(),
    blobs: new MemoryBlobStore(),
    notifier: new MemoryNotifier(),
    retrieval: options.retrieval ?? { kind: 'delay', delaysMs: { ...MEMORY_JOB_DELAYS_MS } },
    maxBodyBytes: options.maxBodyBytes ?? LAMBDA_MAX_BODY_BYTES,
    region: 'us-east-1',
    now: () => new Date(nowMs),
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

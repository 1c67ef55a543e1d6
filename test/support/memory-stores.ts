// In-memory MetadataStore, UploadStore and BlobStore with the semantics of the DynamoDB and S3 adapters,
// for unit tests of the domain. Records are copied in and out, as a real store would.
import { createHash } from 'node:crypto';
import { LAMBDA_MAX_BODY_BYTES } from '../../lambda/config';
import type { Services } from '../../lambda/domain/services';
import type {
  AbortOutcome,
  ArchiveRecord,
  BlobStore,
  DeleteArchiveOutcome,
  DeleteVaultOutcome,
  InventoryEntry,
  InventorySummary,
  MetadataStore,
  Page,
  PartRecord,
  UploadRecord,
  UploadStore,
  VaultRecord,
} from '../../lambda/store/ports';

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

  async recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<boolean> {
    const vault = this.vaults.get(key(accountId, vaultName));
    if (!vault) return false;
    vault.lastWriteMs = atMs;
    return true;
  }

  async putArchive(archive: ArchiveRecord): Promise<void> {
    const id = key(archive.accountId, archive.vaultName);
    const archives = this.archives.get(id) ?? new Map<string, ArchiveRecord>();
    this.archives.set(id, archives);
    // A put replaces the record whole; deletion is only ever recorded by markArchiveDeleted.
    const stored = copy(archive);
    delete stored.deletedDate;
    archives.set(archive.archiveId, stored);
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

  async putInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number, entries: InventoryEntry[]): Promise<void> {
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

  keys(): string[] {
    return [...this.blobs.keys()];
  }

  async put(key: string, body: Buffer, sha256: Buffer): Promise<void> {
    if (!createHash('sha256').update(body).digest().equals(sha256)) throw new Error(`BadDigest: the SHA-256 of ${key} does not match`);
    this.blobs.set(key, Buffer.from(body));
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    const blob = this.blobs.get(key);
    if (!blob) throw new Error(`NoSuchKey: ${key}`);
    return Buffer.from(range ? blob.subarray(range.start, range.end + 1) : blob);
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return this.keys()
      .filter((key) => key.startsWith(prefix))
      .sort(ascii);
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) this.blobs.delete(key);
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
    this.uploads.set(key(accountId, vaultName, uploadId), { accountId, vaultName, uploadId, description, partSize, creationDate, lastActivityMs });
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
    if (!upload || !isOpen(upload)) return false;
    upload.lastActivityMs = atMs;
    return true;
  }

  async reserveArchiveId(accountId: string, vaultName: string, uploadId: string, candidate: string): Promise<string | undefined> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload || upload.aborted) return undefined;
    upload.reservedArchiveId ??= candidate;
    return upload.reservedArchiveId;
  }

  async markCompleted(accountId: string, vaultName: string, uploadId: string, completed: NonNullable<UploadRecord['completed']>): Promise<void> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload) throw new Error(`ConditionalCheckFailedException: no upload ${uploadId}`);
    upload.completed = copy(completed);
  }

  async markAborted(accountId: string, vaultName: string, uploadId: string): Promise<AbortOutcome> {
    const upload = this.uploads.get(key(accountId, vaultName, uploadId));
    if (!upload) return 'absent';
    if (upload.completed) return 'completed';
    upload.aborted = true;
    return 'aborted';
  }

  async removeUpload(accountId: string, vaultName: string, uploadId: string): Promise<void> {
    this.uploads.delete(key(accountId, vaultName, uploadId));
    this.parts.delete(key(accountId, vaultName, uploadId));
  }

  async listIdleUploads(beforeMs: number, cursor?: string): Promise<Page<UploadRecord>> {
    // Ordered like the adapter's index: by last activity, then by where the upload is.
    const order = (upload: UploadRecord) => key(String(upload.lastActivityMs).padStart(15, '0'), upload.accountId, upload.vaultName, upload.uploadId);
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
}

export interface MemoryServices extends Services {
  metadata: MemoryMetadataStore;
  uploads: MemoryUploadStore;
  blobs: MemoryBlobStore;
  /** Moves the clock forward. */
  advance(ms: number): void;
}

export interface MemoryServicesOptions {
  uploads?: MemoryUploadStore;
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
    blobs: new MemoryBlobStore(),
    maxBodyBytes: options.maxBodyBytes ?? LAMBDA_MAX_BODY_BYTES,
    region: 'us-east-1',
    now: () => new Date(nowMs),
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

// What the domain needs from storage. Adapters: DynamoDB (metadata), S3 (bytes),
// and in-memory fakes for unit tests of the domain.

import type { Readable } from 'node:stream';

export interface InventorySummary {
  id: string;
  /** ISO date reported as LastInventoryDate. */
  date: string;
  /** A write at or after this instant (epoch ms) counts as made since the inventory (for DeleteVault). */
  asOfMs: number;
  numberOfArchives: number;
  sizeInBytes: number;
  chunks: number;
}

export interface VaultRecord {
  accountId: string;
  vaultName: string;
  creationDate: string;
  /** Epoch ms of the last archive write (upload or delete); absent if none ever. */
  lastWriteMs?: number;
  inventory?: InventorySummary;
  notifications?: VaultNotificationConfig;
  tags?: Record<string, string>;
  /** The vault access policy, as the JSON text it was set with. */
  accessPolicy?: string;
  lock?: VaultLock;
}

export interface VaultLock {
  state: 'InProgress' | 'Locked';
  /** The lock policy, as the JSON text it was set with. */
  policy: string;
  lockId: string;
  creationDate: string;
  /** An InProgress lock not completed by then is void. */
  expirationDate: string;
}

/** The settings a vault carries besides its archives, each set on its own. */
export type VaultSettings = Pick<VaultRecord, 'notifications' | 'tags' | 'accessPolicy' | 'lock'>;

export interface ArchiveRecord {
  accountId: string;
  vaultName: string;
  archiveId: string;
  description: string;
  size: number;
  treeHash: string;
  creationDate: string;
  layout: ArchiveLayout;
  deletedDate?: string;
}

/**
 * Where an archive's bytes are: one blob, or the blobs of a multipart upload's parts, in order.
 * An archive copied from another Glacier keeps its creation date; `importedDate` says when it
 * was recorded here (stores keep the layout as it is, so the fact travels with it). A small
 * archive's per-MiB leaf hashes may travel with it too (`leaves`, base64), instead of beside its blob.
 */
export type ArchiveLayout =
  | { kind: 'blob'; blobKey: string; importedDate?: string; leaves?: string }
  | { kind: 'parts'; uploadId: string; partSize: number; count: number; chunks: number };

export interface InventoryEntry {
  ArchiveId: string;
  ArchiveDescription: string;
  CreationDate: string;
  Size: number;
  SHA256TreeHash: string;
}

export interface Page<T> {
  items: T[];
  /** Present when there may be more: pass it back to read on. */
  cursor?: string;
}

export type DeleteVaultOutcome = 'deleted' | 'absent' | 'not-empty';
export type DeleteArchiveOutcome = 'deleted' | 'already-deleted' | 'absent';

export interface MetadataStore {
  getVault(accountId: string, vaultName: string): Promise<VaultRecord | undefined>;
  /** Creates the vault unless one of that name exists; true if this call created it. */
  createVault(vault: VaultRecord): Promise<boolean>;
  countVaults(accountId: string): Promise<number>;
  /** Vaults of an account in ASCII order of name, strictly after `startAfter`. */
  listVaults(accountId: string, startAfter: string | undefined, limit: number): Promise<Page<VaultRecord>>;
  /** Every vault of every account, for the inventory. */
  scanVaults(cursor?: string): Promise<Page<VaultRecord>>;
  /** Deletes the vault only if its last inventory shows it empty and nothing was written since. */
  deleteVaultIfIdle(accountId: string, vaultName: string): Promise<DeleteVaultOutcome>;
  /**
   * Stamps a write on the vault. Resolves to the creation date of the vault stamped (which tells
   * it from a later vault of the same name), undefined if there is no vault.
   */
  recordVaultWrite(accountId: string, vaultName: string, atMs: number): Promise<string | undefined>;
  /**
   * Sets (or with undefined, removes) one of the vault's settings. With `expected`, only if
   * the setting is still that value (null: absent), so read-modify-write can't lose an
   * update. False if the vault does not exist or the setting had changed.
   */
  setVaultSetting<K extends keyof VaultSettings>(
    accountId: string,
    vaultName: string,
    name: K,
    value: VaultSettings[K] | undefined,
    expected?: VaultSettings[K] | null,
  ): Promise<boolean>;

  /** Creates the archive record unless one with its ID exists; true if this call created it. */
  createArchive(archive: ArchiveRecord): Promise<boolean>;
  getArchive(accountId: string, vaultName: string, archiveId: string): Promise<ArchiveRecord | undefined>;
  markArchiveDeleted(accountId: string, vaultName: string, archiveId: string, date: string): Promise<DeleteArchiveOutcome>;
  /** A vault's archives, deleted ones included, in a stable order. */
  listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>>;

  putInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number, entries: InventoryEntry[]): Promise<void>;
  getInventoryChunk(accountId: string, vaultName: string, inventoryId: string, index: number): Promise<InventoryEntry[] | undefined>;
  deleteInventoryChunks(accountId: string, vaultName: string, inventoryId: string, count: number): Promise<void>;
  /**
   * Points the vault at a new inventory if it is still the vault that was inventoried
   * (same creation date); returns the inventory it replaced, or false if the vault is gone.
   */
  commitInventory(vault: VaultRecord, summary: InventorySummary): Promise<{ replaced?: InventorySummary } | false>;
}

export type RestoreState = 'started' | 'in-progress' | 'restored';
/** Where a blob's restore stands: never asked for (or its copy expired), under way, or readable. */
export type RestoreStatus = 'none' | 'in-progress' | 'restored';

export interface StagedBlob {
  /** Makes the blob visible under its key, durably (files: fsync, rename, fsync dir; S3: already there, no-op). Idempotent. */
  commit(): Promise<void>;
  /** Removes the staged bytes (files: unlink the temp file; S3: delete the object). Idempotent. */
  discard(): Promise<void>;
}

export interface BlobStore {
  /**
   * Writes a blob from a stream without making it visible. Reads `body` to its end. `size` is the
   * exact byte count expected: any other count rejects. With `sha256` (the signed payload hash)
   * the backend may verify it as well (S3: ChecksumSHA256). If the body stream errors (a client
   * that went away, a payload hash mismatch) or the write fails, nothing is left and it rejects
   * with that error. `hot` blobs (job outputs) go to an instant storage class.
   */
  stage(key: string, body: Readable, options: { size: number; sha256?: Buffer; hot?: boolean }): Promise<StagedBlob>;
  /** The blob's bytes (or an inclusive byte range of them) as a stream. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Asks for a readable copy of a blob in a cold storage class, for `days`. */
  restore(key: string, tier: Tier, days: number): Promise<RestoreState>;
  /** Where the restore of a blob stands; a blob in an instant storage class is always 'restored'. */
  restoreStatus(key: string): Promise<RestoreStatus>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`. */
  list(prefix: string): Promise<string[]>;
  deleteMany(keys: string[]): Promise<void>;
}

export interface Credentials {
  accountId: string;
  secretAccessKey: string;
  /** The user the key belongs to; absent for an account's root key. */
  userName?: string;
}

export interface KeyStore {
  lookup(accessKeyId: string): Promise<Credentials | undefined>;
}

export interface UploadRecord {
  accountId: string;
  vaultName: string;
  uploadId: string;
  description: string;
  partSize: number;
  creationDate: string;
  /** Epoch ms of the last part received (or of the initiation). */
  lastActivityMs: number;
  /** The archive ID reserved by the first Complete, reused by every retry of it. */
  reservedArchiveId?: string;
  completed?: { archiveId: string; size: number; treeHash: string; date: string };
  /** Set by Abort: the upload takes no more parts and its bytes are being removed. */
  aborted?: boolean;
}

export interface PartRecord {
  index: number;
  size: number;
  treeHash: string;
  blobKey: string;
}

/** 'completed' also covers an upload whose Complete is under way; 'active' a part since `idleBeforeMs`. */
export type AbortOutcome = 'aborted' | 'absent' | 'completed' | 'active';

export interface UploadStore {
  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(accountId: string, vaultName: string, uploadId: string): Promise<UploadRecord | undefined>;
  /** Uploads not completed, in upload ID order, strictly after `startAfter`. */
  listUploads(accountId: string, vaultName: string, startAfter: string | undefined, limit: number): Promise<Page<UploadRecord>>;
  /** Stores a part's record, replacing one for the same range; returns the blob key it replaced. */
  putPart(accountId: string, vaultName: string, uploadId: string, part: PartRecord): Promise<string | undefined>;
  /** Parts in range order from `fromIndex` on. */
  listParts(accountId: string, vaultName: string, uploadId: string, fromIndex: number, limit: number): Promise<Page<PartRecord>>;
  /** Marks activity on an upload that is still open; false if it is gone, aborted, or being completed. */
  touchUpload(accountId: string, vaultName: string, uploadId: string, atMs: number): Promise<boolean>;
  /** Reserves `candidate` as the upload's archive ID unless one is reserved; returns the reserved one, or undefined if the upload is gone. */
  reserveArchiveId(accountId: string, vaultName: string, uploadId: string, candidate: string): Promise<string | undefined>;
  markCompleted(accountId: string, vaultName: string, uploadId: string, completed: NonNullable<UploadRecord['completed']>): Promise<void>;
  /**
   * Marks an upload as aborted unless a Complete has reserved its archive ID; with
   * `idleBeforeMs`, only if it has had no activity since.
   */
  markAborted(accountId: string, vaultName: string, uploadId: string, idleBeforeMs?: number): Promise<AbortOutcome>;
  /** Removes the upload and its part records. */
  removeUpload(accountId: string, vaultName: string, uploadId: string): Promise<void>;
  /** Uploads with no activity since before `beforeMs`, across all vaults, for the janitor. */
  listIdleUploads(beforeMs: number, cursor?: string): Promise<Page<UploadRecord>>;

  /** The blob keys of a multipart archive's parts, in order, stored in chunks. */
  putSegments(accountId: string, vaultName: string, archiveId: string, chunk: number, blobKeys: string[]): Promise<void>;
  getSegments(accountId: string, vaultName: string, archiveId: string, chunk: number): Promise<string[] | undefined>;
  deleteSegments(accountId: string, vaultName: string, archiveId: string, chunks: number): Promise<void>;
}

export * from './job-ports';
import type { Tier } from './job-ports';

/** Work the janitor does later: bytes and records that must outlive something for a while. */
export type PurgeTask =
  | { kind: 'archive-bytes'; accountId: string; vaultName: string; archiveId: string }
  | { kind: 'blob'; blobKey: string }
  /** Bytes put for an archive: removed unless the archive's record was written (the upload may have crashed in between). */
  | { kind: 'unreferenced-blob'; blobKey: string; accountId: string; vaultName: string; archiveId: string }
  /** Chunks of an inventory snapshot the vault no longer points at (all of them when `chunks` is absent). */
  | { kind: 'inventory'; accountId: string; vaultName: string; inventoryId: string; chunks?: number };

export interface PurgeQueue {
  schedule(task: PurgeTask, dueMs: number): Promise<void>;
  /** Tasks due at `nowMs`, each with the handle to remove it once done. */
  listDue(nowMs: number, cursor?: string): Promise<Page<{ handle: string; task: PurgeTask }>>;
  remove(handle: string): Promise<void>;
}

export interface VaultNotificationConfig {
  snsTopic: string;
  events: string[];
}

export interface Notifier {
  /**
   * Delivers a message. A delivery that can never succeed (no such topic, no permission) is the
   * notifier's to report and resolves; one that may succeed later (throttling, an outage) rejects,
   * so that the caller tries again.
   */
  publish(topicArn: string, subject: string, message: string): Promise<void>;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The user the key belongs to; absent for an account's root key. */
  userName?: string;
  createdDate: string;
  status: 'Active' | 'Revoked';
}

export interface UserRecord {
  accountId: string;
  userName: string;
  /** The user's identity policy, as the JSON text it was set with; none grants nothing. */
  policy?: string;
  createdDate: string;
}

/** Access keys and users, managed by the admin command. */
export interface IdentityStore extends KeyStore {
  putKey(key: AccessKeyRecord): Promise<void>;
  getKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listKeys(accountId?: string): Promise<AccessKeyRecord[]>;
  /** False if there is no such key. */
  revokeKey(accessKeyId: string): Promise<boolean>;
  putUser(user: UserRecord): Promise<void>;
  getUser(accountId: string, userName: string): Promise<UserRecord | undefined>;
  listUsers(accountId: string): Promise<UserRecord[]>;
  deleteUser(accountId: string, userName: string): Promise<boolean>;
}

/**
 * Seals access-key secrets before they reach a store, and opens them again. `context` (the
 * access key ID) is bound to the sealed text: a sealed secret moved to another key won't open.
 */
export interface SecretSealer {
  seal(plain: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

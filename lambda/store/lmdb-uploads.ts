import type { AbortOutcome, Page, PartRecord, UploadRecord, UploadStore } from '../domain/ports';
import { cursorOf, entriesUnder, keyOf, pad, take, type LmdbEnv } from './lmdb-env';

export interface LmdbUploadOptions {
  /** Uploads per listIdleUploads page. */
  idlePageSize?: number;
}

const isOpen = (upload: UploadRecord) => !upload.completed && !upload.aborted;
/** The idle index: uploads by last activity, then by where they are. */
const activityKey = (upload: UploadRecord) => [pad(upload.lastActivityMs), upload.accountId, upload.vaultName, upload.uploadId];
type UploadRef = Pick<UploadRecord, 'accountId' | 'vaultName' | 'uploadId'>;

/** Multipart uploads, their parts, and multipart archives' segment lists, in LMDB. */
export class LmdbUploadStore implements UploadStore {
  private readonly uploads;
  private readonly byActivity;
  private readonly parts;
  private readonly segments;
  private readonly idlePageSize: number;

  constructor(
    private readonly env: LmdbEnv,
    options: LmdbUploadOptions = {},
  ) {
    this.uploads = env.db<UploadRecord>('uploads');
    this.byActivity = env.db<UploadRef>('uploads-by-activity');
    this.parts = env.db<PartRecord>('parts');
    this.segments = env.db<string[]>('segments');
    this.idlePageSize = options.idlePageSize ?? 100;
  }

  /** Writes an upload and keeps its idle index entry in step (inside a write transaction). */
  private save(upload: UploadRecord, previous?: UploadRecord): void {
    if (previous) this.byActivity.removeSync(activityKey(previous));
    this.uploads.putSync([upload.accountId, upload.vaultName, upload.uploadId], upload);
    this.byActivity.putSync(activityKey(upload), { accountId: upload.accountId, vaultName: upload.vaultName, uploadId: upload.uploadId });
  }

  /** Changes an upload in one transaction; `change` returns its answer, or writes nothing if it returns `unchanged`. */
  private update<T>(ref: UploadRef, change: (upload: UploadRecord | undefined) => { write?: UploadRecord; answer: T }): Promise<T> {
    return this.env.write(() => {
      const current = this.uploads.get([ref.accountId, ref.vaultName, ref.uploadId]);
      const { write, answer } = change(current && structuredClone(current));
      if (write) this.save(write, current);
      return answer;
    });
  }

  async createUpload(upload: UploadRecord): Promise<void> {
    const { accountId, vaultName, uploadId, description, partSize, creationDate, lastActivityMs } = upload;
    await this.update(upload, () => ({
      write: { accountId, vaultName, uploadId, description, partSize, creationDate, lastActivityMs },
      answer: undefined,
    }));
  }

  async getUpload(accountId: string, vaultName: string, uploadId: string): Promise<UploadRecord | undefined> {
    return this.uploads.get([accountId, vaultName, uploadId]);
  }

  async listUploads(accountId: string, vaultName: string, startAfter: string | undefined, limit: number): Promise<Page<UploadRecord>> {
    const after = startAfter === undefined ? undefined : [accountId, vaultName, startAfter];
    const open = function* (entries: Iterable<{ value: UploadRecord }>) {
      for (const entry of entries) if (isOpen(entry.value)) yield entry.value;
    };
    const { items, more } = take(open(entriesUnder(this.uploads, [accountId, vaultName], after)), limit);
    return { items, cursor: more ? items[items.length - 1]?.uploadId : undefined };
  }

  putPart(accountId: string, vaultName: string, uploadId: string, part: PartRecord): Promise<string | undefined> {
    return this.env.write(() => {
      const key = [accountId, vaultName, uploadId, pad(part.index, 10)];
      const replaced = this.parts.get(key);
      this.parts.putSync(key, part);
      return replaced?.blobKey;
    });
  }

  async listParts(accountId: string, vaultName: string, uploadId: string, fromIndex: number, limit: number): Promise<Page<PartRecord>> {
    const prefix = [accountId, vaultName, uploadId];
    const from = function* (entries: Iterable<{ value: PartRecord }>) {
      for (const entry of entries) if (entry.value.index >= fromIndex) yield entry.value;
    };
    // Read from the part before `fromIndex` on, not from the first part.
    const after = fromIndex > 0 ? [...prefix, pad(fromIndex - 1, 10)] : undefined;
    const { items, more } = take(from(entriesUnder(this.parts, prefix, after)), limit);
    return { items, cursor: more ? String(items[items.length - 1].index + 1) : undefined };
  }

  touchUpload(accountId: string, vaultName: string, uploadId: string, atMs: number): Promise<boolean> {
    return this.update({ accountId, vaultName, uploadId }, (upload) => {
      if (!upload || !isOpen(upload) || upload.reservedArchiveId) return { answer: false };
      return { write: { ...upload, lastActivityMs: atMs }, answer: true };
    });
  }

  reserveArchiveId(accountId: string, vaultName: string, uploadId: string, candidate: string): Promise<string | undefined> {
    return this.update({ accountId, vaultName, uploadId }, (upload) => {
      if (!upload || upload.aborted) return { answer: undefined };
      if (upload.reservedArchiveId) return { answer: upload.reservedArchiveId };
      return { write: { ...upload, reservedArchiveId: candidate }, answer: candidate };
    });
  }

  async markCompleted(
    accountId: string,
    vaultName: string,
    uploadId: string,
    completed: NonNullable<UploadRecord['completed']>,
  ): Promise<void> {
    const found = await this.update({ accountId, vaultName, uploadId }, (upload) =>
      upload ? { write: { ...upload, completed }, answer: true } : { answer: false },
    );
    if (!found) throw new Error(`No upload ${uploadId} to mark completed`);
  }

  markAborted(accountId: string, vaultName: string, uploadId: string, idleBeforeMs?: number): Promise<AbortOutcome> {
    return this.update({ accountId, vaultName, uploadId }, (upload): { write?: UploadRecord; answer: AbortOutcome } => {
      if (!upload) return { answer: 'absent' };
      if (upload.completed || upload.reservedArchiveId) return { answer: 'completed' };
      if (!upload.aborted && idleBeforeMs !== undefined && upload.lastActivityMs >= idleBeforeMs) return { answer: 'active' };
      return { write: { ...upload, aborted: true }, answer: 'aborted' };
    });
  }

  async removeUpload(accountId: string, vaultName: string, uploadId: string): Promise<void> {
    await this.env.write(() => {
      const upload = this.uploads.get([accountId, vaultName, uploadId]);
      if (upload) this.byActivity.removeSync(activityKey(upload));
      this.uploads.removeSync([accountId, vaultName, uploadId]);
      for (const { key } of [...entriesUnder(this.parts, [accountId, vaultName, uploadId])]) this.parts.removeSync(key);
    });
  }

  async listIdleUploads(beforeMs: number, cursor?: string): Promise<Page<UploadRecord>> {
    const idle = function* (entries: Iterable<{ key: string[]; value: UploadRef }>) {
      for (const entry of entries) {
        if (Number(entry.key[0]) >= beforeMs) return;
        yield entry;
      }
    };
    const { items, more } = take(idle(entriesUnder(this.byActivity, [], keyOf(cursor))), this.idlePageSize);
    const uploads = items
      .map(({ value }) => this.uploads.get([value.accountId, value.vaultName, value.uploadId]))
      .filter((upload): upload is UploadRecord => upload !== undefined);
    const last = items[items.length - 1];
    return { items: uploads, cursor: more && last ? cursorOf(last.key) : undefined };
  }

  async putSegments(accountId: string, vaultName: string, archiveId: string, chunk: number, blobKeys: string[]): Promise<void> {
    await this.env.write(() => this.segments.putSync([accountId, vaultName, archiveId, pad(chunk, 10)], blobKeys));
  }

  async getSegments(accountId: string, vaultName: string, archiveId: string, chunk: number): Promise<string[] | undefined> {
    return this.segments.get([accountId, vaultName, archiveId, pad(chunk, 10)]);
  }

  async deleteSegments(accountId: string, vaultName: string, archiveId: string, chunks: number): Promise<void> {
    await this.env.write(() => {
      for (let chunk = 0; chunk < chunks; chunk += 1) this.segments.removeSync([accountId, vaultName, archiveId, pad(chunk, 10)]);
    });
  }
}

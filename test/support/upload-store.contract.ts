// The behaviour every UploadStore must have: run against the in-memory fake (unit) and the
// DynamoDB adapter on dynalite (integration), so the fake can stand in for the real one.
import { newArchiveId, newUploadId } from '../../lambda/domain/ids';
import type { Page, PartRecord, UploadRecord, UploadStore } from '../../lambda/domain/ports';
import { inParallel, listAfterLastId, readAll } from './paging';
import { ACCOUNT, OTHER_ACCOUNT } from './accounts';

const MiB = 1024 * 1024;
const T0 = Date.parse('2024-03-01T10:00:00.000Z');

function upload(vaultName: string, overrides: Partial<UploadRecord> = {}): UploadRecord {
  return {
    accountId: ACCOUNT,
    vaultName,
    uploadId: newUploadId(),
    description: 'a multipart upload',
    partSize: MiB,
    creationDate: new Date(T0).toISOString(),
    lastActivityMs: T0,
    ...overrides,
  };
}

function part(index: number, overrides: Partial<PartRecord> = {}): PartRecord {
  return {
    index,
    size: MiB,
    treeHash: (index % 256).toString(16).padStart(2, '0').repeat(32),
    blobKey: `${ACCOUNT}/uploads/u/${index}-a`,
    ...overrides,
  };
}

const completion = (archiveId: string) => ({ archiveId, size: 3 * MiB, treeHash: 'ef'.repeat(32), date: '2024-03-01T11:00:00.000Z' });

const ids = (uploads: UploadRecord[]) => uploads.map((item) => item.uploadId);
const ascii = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function uploadStoreContract(makeStore: () => Promise<UploadStore>): void {
  let store: UploadStore;

  beforeEach(async () => {
    store = await makeStore();
  });

  /** Reads every listUploads page the way ListMultipartUploads does: from the last upload ID returned. */
  const listAllUploads = (vaultName: string, limit: number, accountId = ACCOUNT) =>
    listAfterLastId(
      (startAfter) => store.listUploads(accountId, vaultName, startAfter, limit),
      (item) => item.uploadId,
    );

  describe('uploads', () => {
    it('creates an upload and reads it back, an empty description included', async () => {
      const record = upload('v', { description: '' });
      await store.createUpload(record);
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual(record);
      expect(await store.getUpload(ACCOUNT, 'other', record.uploadId)).toBeUndefined();
      expect(await store.getUpload(OTHER_ACCOUNT, 'v', record.uploadId)).toBeUndefined();
      expect(await store.getUpload(ACCOUNT, 'v', newUploadId())).toBeUndefined();
    });

    it('lists the open uploads of one vault in upload ID order, in pages with a cursor only while more exist', async () => {
      const records = Array.from({ length: 30 }, () => upload('v'));
      await inParallel(records, 10, (record) => store.createUpload(record));
      await store.createUpload(upload('other'));
      await store.createUpload(upload('v', { accountId: OTHER_ACCOUNT }));
      const [done1, done2, gone1, gone2, done3] = records;
      for (const done of [done1, done2, done3]) await store.markCompleted(ACCOUNT, 'v', done.uploadId, completion(newArchiveId()));
      for (const gone of [gone1, gone2]) await store.markAborted(ACCOUNT, 'v', gone.uploadId);
      const open = ids(records.slice(5)).sort(ascii);

      const pages = await listAllUploads('v', 10);
      expect(pages.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(pages.map((page) => page.cursor !== undefined)).toEqual([true, true, false]);
      expect(pages.flatMap((page) => ids(page.items))).toEqual(open);
      expect(pages[0].items[0]).toEqual(records.find((record) => record.uploadId === open[0]));
    });

    it('lists strictly after an upload ID, and ends without a cursor on an exactly full page', async () => {
      const records = ['a-upload', 'B-upload', 'b-upload', 'c-upload'].map((uploadId) => upload('v', { uploadId }));
      await inParallel(records, 4, (record) => store.createUpload(record));
      // Hidden uploads after the last open one must not make a cursor.
      await store.createUpload(upload('v', { uploadId: 'd-completed' }));
      await store.markCompleted(ACCOUNT, 'v', 'd-completed', completion(newArchiveId()));
      await store.createUpload(upload('v', { uploadId: 'e-aborted' }));
      await store.markAborted(ACCOUNT, 'v', 'e-aborted');

      expect(ids((await store.listUploads(ACCOUNT, 'v', undefined, 10)).items)).toEqual(['B-upload', 'a-upload', 'b-upload', 'c-upload']);
      const page = await store.listUploads(ACCOUNT, 'v', 'a-upload', 2);
      expect(ids(page.items)).toEqual(['b-upload', 'c-upload']);
      expect(page.cursor).toBeUndefined();
      expect(ids((await store.listUploads(ACCOUNT, 'v', 'a', 1)).items)).toEqual(['a-upload']);
      expect((await store.listUploads(ACCOUNT, 'v', 'a', 1)).cursor).toBeDefined();
      expect(await store.listUploads(ACCOUNT, 'v', 'c-upload', 10)).toEqual({ items: [] });
      expect(await store.listUploads(ACCOUNT, 'empty', undefined, 10)).toEqual({ items: [] });
    });

    it('finds open uploads behind many hidden ones', async () => {
      const hidden = Array.from({ length: 40 }, (_, i) => upload('v', { uploadId: `a-${String(i).padStart(2, '0')}` }));
      await inParallel(hidden, 10, async (record) => {
        await store.createUpload(record);
        await store.markAborted(ACCOUNT, 'v', record.uploadId);
      });
      await store.createUpload(upload('v', { uploadId: 'b-open' }));
      await store.createUpload(upload('v', { uploadId: 'c-open' }));
      const first = await store.listUploads(ACCOUNT, 'v', undefined, 1);
      expect(ids(first.items)).toEqual(['b-open']);
      expect(first.cursor).toBeDefined();
      expect(await store.listUploads(ACCOUNT, 'v', 'b-open', 1)).toEqual({ items: [expect.objectContaining({ uploadId: 'c-open' })] });
    });
  });

  describe('parts', () => {
    it('stores a part, and replacing it returns the blob key it replaced', async () => {
      const { uploadId } = upload('v');
      expect(await store.putPart(ACCOUNT, 'v', uploadId, part(0, { blobKey: 'k/0-first' }))).toBeUndefined();
      expect(await store.putPart(ACCOUNT, 'v', uploadId, part(1, { blobKey: 'k/1-first', size: 5 }))).toBeUndefined();
      expect(await store.putPart(ACCOUNT, 'v', uploadId, part(0, { blobKey: 'k/0-second', treeHash: 'aa'.repeat(32) }))).toBe('k/0-first');
      expect(await store.putPart(ACCOUNT, 'v', uploadId, part(0, { blobKey: 'k/0-third' }))).toBe('k/0-second');
      expect(await store.listParts(ACCOUNT, 'v', uploadId, 0, 10)).toEqual({
        items: [part(0, { blobKey: 'k/0-third' }), part(1, { blobKey: 'k/1-first', size: 5 })],
      });
      expect(await store.listParts(ACCOUNT, 'v', newUploadId(), 0, 10)).toEqual({ items: [] });
      expect(await store.listParts(ACCOUNT, 'other', uploadId, 0, 10)).toEqual({ items: [] });
    });

    it('lists parts in range order from an index, with a cursor only while more exist', async () => {
      const { uploadId } = upload('v');
      // Index 10 sorts before 9 as text: the order must be numeric.
      for (const index of [10, 2, 9, 0, 100, 3]) await store.putPart(ACCOUNT, 'v', uploadId, part(index));
      const indexes = (page: Page<PartRecord>) => page.items.map((item) => item.index);

      const first = await store.listParts(ACCOUNT, 'v', uploadId, 0, 4);
      expect(indexes(first)).toEqual([0, 2, 3, 9]);
      expect(first.cursor).toBeDefined();
      const rest = await store.listParts(ACCOUNT, 'v', uploadId, 10, 4);
      expect(indexes(rest)).toEqual([10, 100]);
      expect(rest.cursor).toBeUndefined();
      expect(indexes(await store.listParts(ACCOUNT, 'v', uploadId, 4, 2))).toEqual([9, 10]);
      const exact = await store.listParts(ACCOUNT, 'v', uploadId, 9, 3);
      expect(indexes(exact)).toEqual([9, 10, 100]);
      expect(exact.cursor).toBeUndefined();
      expect(await store.listParts(ACCOUNT, 'v', uploadId, 101, 4)).toEqual({ items: [] });
    });

    it('lists 1,100 parts, each exactly once and in order', async () => {
      const { uploadId } = upload('v');
      // Long blob keys, so that 1,000 part records fill more than one 1 MB DynamoDB page.
      const parts = Array.from({ length: 1100 }, (_, index) =>
        part(index, { blobKey: `${ACCOUNT}/uploads/${uploadId}/${index}-${'x'.repeat(1200)}` }),
      );
      await inParallel(parts, 25, (record) => store.putPart(ACCOUNT, 'v', uploadId, record));

      const first = await store.listParts(ACCOUNT, 'v', uploadId, 0, 1000);
      expect(first.items).toHaveLength(1000);
      expect(first.cursor).toBeDefined();
      const second = await store.listParts(ACCOUNT, 'v', uploadId, 1000, 1000);
      expect(second.items).toHaveLength(100);
      expect(second.cursor).toBeUndefined();
      expect([...first.items, ...second.items]).toEqual(parts);

      let from = 0;
      const { items, pages } = await readAll(async () => {
        const page = await store.listParts(ACCOUNT, 'v', uploadId, from, 300);
        from = (page.items[page.items.length - 1]?.index ?? from) + 1;
        return page;
      });
      expect(pages).toBe(4);
      expect(items.map((item) => item.index)).toEqual(parts.map((record) => record.index));
    });
  });

  describe('state changes', () => {
    it('touches only an open upload', async () => {
      const open = upload('v');
      const done = upload('v');
      const gone = upload('v');
      for (const record of [open, done, gone]) await store.createUpload(record);
      await store.markCompleted(ACCOUNT, 'v', done.uploadId, completion(newArchiveId()));
      await store.markAborted(ACCOUNT, 'v', gone.uploadId);

      expect(await store.touchUpload(ACCOUNT, 'v', open.uploadId, T0 + 5000)).toBe(true);
      expect((await store.getUpload(ACCOUNT, 'v', open.uploadId))?.lastActivityMs).toBe(T0 + 5000);
      expect(await store.touchUpload(ACCOUNT, 'v', done.uploadId, T0 + 5000)).toBe(false);
      expect(await store.touchUpload(ACCOUNT, 'v', gone.uploadId, T0 + 5000)).toBe(false);
      expect((await store.getUpload(ACCOUNT, 'v', done.uploadId))?.lastActivityMs).toBe(T0);
      expect((await store.getUpload(ACCOUNT, 'v', gone.uploadId))?.lastActivityMs).toBe(T0);
      expect(await store.touchUpload(ACCOUNT, 'v', newUploadId(), T0)).toBe(false);
      expect(await store.getUpload(ACCOUNT, 'v', open.uploadId)).toEqual({ ...open, lastActivityMs: T0 + 5000 });
    });

    it('reserves the first archive ID and keeps it, for an open or completed upload only', async () => {
      const record = upload('v');
      await store.createUpload(record);
      const [first, second] = [newArchiveId(), newArchiveId()];
      expect(await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, first)).toBe(first);
      expect(await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, second)).toBe(first);
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual({ ...record, reservedArchiveId: first });

      await store.markCompleted(ACCOUNT, 'v', record.uploadId, completion(first));
      expect(await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, second)).toBe(first);

      expect(await store.reserveArchiveId(ACCOUNT, 'v', newUploadId(), first)).toBeUndefined();
      const aborted = upload('v');
      await store.createUpload(aborted);
      await store.markAborted(ACCOUNT, 'v', aborted.uploadId);
      expect(await store.reserveArchiveId(ACCOUNT, 'v', aborted.uploadId, first)).toBeUndefined();
      expect((await store.getUpload(ACCOUNT, 'v', aborted.uploadId))?.reservedArchiveId).toBeUndefined();
    });

    it('marks an upload completed', async () => {
      const record = upload('v');
      await store.createUpload(record);
      const archiveId = newArchiveId();
      await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, archiveId);
      await store.markCompleted(ACCOUNT, 'v', record.uploadId, completion(archiveId));
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual({
        ...record,
        reservedArchiveId: archiveId,
        completed: completion(archiveId),
      });
      await expect(store.markCompleted(ACCOUNT, 'v', newUploadId(), completion(archiveId))).rejects.toThrow();
    });

    it('aborts an upload that was not completed', async () => {
      const open = upload('v');
      const done = upload('v');
      for (const record of [open, done]) await store.createUpload(record);
      await store.markCompleted(ACCOUNT, 'v', done.uploadId, completion(newArchiveId()));

      expect(await store.markAborted(ACCOUNT, 'v', open.uploadId)).toBe('aborted');
      expect(await store.getUpload(ACCOUNT, 'v', open.uploadId)).toEqual({ ...open, aborted: true });
      // Again, as an abort that crashed half way is retried.
      expect(await store.markAborted(ACCOUNT, 'v', open.uploadId)).toBe('aborted');
      expect(await store.markAborted(ACCOUNT, 'v', done.uploadId)).toBe('completed');
      expect((await store.getUpload(ACCOUNT, 'v', done.uploadId))?.aborted).toBeUndefined();
      expect(await store.markAborted(ACCOUNT, 'v', newUploadId())).toBe('absent');
      expect(await store.getUpload(ACCOUNT, 'v', open.uploadId)).toBeDefined();
    });

    it('neither touches nor aborts an upload whose archive ID a Complete has reserved', async () => {
      const record = upload('v');
      await store.createUpload(record);
      const archiveId = newArchiveId();
      await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, archiveId);

      expect(await store.touchUpload(ACCOUNT, 'v', record.uploadId, T0 + 5000)).toBe(false);
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId)).toBe('completed');
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0 + 60_000)).toBe('completed');
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual({ ...record, reservedArchiveId: archiveId });
      expect(await store.reserveArchiveId(ACCOUNT, 'v', record.uploadId, newArchiveId())).toBe(archiveId);
    });

    it('with a cutoff, aborts only an upload idle since before it', async () => {
      const record = upload('v');
      await store.createUpload(record);
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0)).toBe('active');
      expect(await store.touchUpload(ACCOUNT, 'v', record.uploadId, T0 + 5000)).toBe(true);
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0 + 1)).toBe('active');
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0 + 5000)).toBe('active');
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual({ ...record, lastActivityMs: T0 + 5000 });

      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0 + 5001)).toBe('aborted');
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toEqual({ ...record, lastActivityMs: T0 + 5000, aborted: true });
      // Retried, whatever the cutoff, it stays aborted.
      expect(await store.markAborted(ACCOUNT, 'v', record.uploadId, T0)).toBe('aborted');
      expect(await store.markAborted(ACCOUNT, 'v', newUploadId(), T0 + 5001)).toBe('absent');
    });

    it('removes an upload with all its part records, and no other', async () => {
      const record = upload('v');
      const neighbour = upload('v');
      for (const item of [record, neighbour]) await store.createUpload(item);
      const indexes = Array.from({ length: 60 }, (_, i) => i);
      await inParallel(indexes, 20, (index) => store.putPart(ACCOUNT, 'v', record.uploadId, part(index)));
      await store.putPart(ACCOUNT, 'v', neighbour.uploadId, part(0));

      await store.removeUpload(ACCOUNT, 'v', record.uploadId);
      expect(await store.getUpload(ACCOUNT, 'v', record.uploadId)).toBeUndefined();
      expect(await store.listParts(ACCOUNT, 'v', record.uploadId, 0, 100)).toEqual({ items: [] });
      expect(ids((await store.listUploads(ACCOUNT, 'v', undefined, 10)).items)).toEqual([neighbour.uploadId]);
      expect((await store.listParts(ACCOUNT, 'v', neighbour.uploadId, 0, 10)).items).toEqual([part(0)]);
      await expect(store.removeUpload(ACCOUNT, 'v', record.uploadId)).resolves.toBeUndefined();
    });
  });

  describe('listIdleUploads', () => {
    it('lists uploads idle since before the cutoff across vaults and accounts, whatever their state', async () => {
      const cutoff = T0 + 10_000;
      const idle = [
        upload('v', { lastActivityMs: T0 }),
        upload('other', { lastActivityMs: T0 + 1 }),
        upload('v', { accountId: OTHER_ACCOUNT, lastActivityMs: cutoff - 1 }),
        upload('v', { lastActivityMs: T0 + 2 }),
        upload('v', { lastActivityMs: T0 + 3 }),
      ];
      const recent = [upload('v', { lastActivityMs: cutoff }), upload('other', { lastActivityMs: cutoff + 1 })];
      await inParallel([...idle, ...recent], 7, (record) => store.createUpload(record));
      await store.markCompleted(ACCOUNT, 'v', idle[3].uploadId, completion(newArchiveId()));
      await store.markAborted(ACCOUNT, 'v', idle[4].uploadId);

      const { items } = await readAll((cursor) => store.listIdleUploads(cutoff, cursor));
      expect(ids(items).sort()).toEqual(ids(idle).sort());
      expect(items.find((item) => item.uploadId === idle[2].uploadId)).toEqual(idle[2]);
      expect(items.find((item) => item.uploadId === idle[3].uploadId)?.completed).toBeDefined();
      expect(items.find((item) => item.uploadId === idle[4].uploadId)?.aborted).toBe(true);
      expect(await store.listIdleUploads(T0)).toEqual({ items: [] });
    });

    it('no longer lists an upload that was touched or removed', async () => {
      const touched = upload('v');
      const removed = upload('v');
      const left = upload('v');
      for (const record of [touched, removed, left]) await store.createUpload(record);
      expect(await store.touchUpload(ACCOUNT, 'v', touched.uploadId, T0 + 60_000)).toBe(true);
      await store.removeUpload(ACCOUNT, 'v', removed.uploadId);

      expect(ids((await readAll((cursor) => store.listIdleUploads(T0 + 1, cursor))).items)).toEqual([left.uploadId]);
      const later = await readAll((cursor) => store.listIdleUploads(T0 + 60_001, cursor));
      expect(ids(later.items).sort()).toEqual([touched.uploadId, left.uploadId].sort());
    });

    it('pages through 40 idle uploads, returning each once', async () => {
      const records = Array.from({ length: 40 }, (_, i) => upload(`v${i % 3}`, { lastActivityMs: T0 + (i % 5) }));
      await inParallel(records, 10, (record) => store.createUpload(record));
      const { items } = await readAll((cursor) => store.listIdleUploads(T0 + 100, cursor));
      expect(ids(items).sort()).toEqual(ids(records).sort());
    });
  });

  describe('segments', () => {
    it("stores and reads the chunks of an archive's segment list", async () => {
      const archiveId = newArchiveId();
      const chunk0 = Array.from({ length: 1000 }, (_, i) => `${ACCOUNT}/uploads/u/${i}-abcdef012345`);
      await store.putSegments(ACCOUNT, 'v', archiveId, 0, chunk0);
      await store.putSegments(ACCOUNT, 'v', archiveId, 1, ['last']);
      expect(await store.getSegments(ACCOUNT, 'v', archiveId, 0)).toEqual(chunk0);
      expect(await store.getSegments(ACCOUNT, 'v', archiveId, 1)).toEqual(['last']);
      expect(await store.getSegments(ACCOUNT, 'v', archiveId, 2)).toBeUndefined();
      expect(await store.getSegments(ACCOUNT, 'other', archiveId, 0)).toBeUndefined();
      expect(await store.getSegments(ACCOUNT, 'v', newArchiveId(), 0)).toBeUndefined();
      // A retried Complete writes the same chunk again.
      await store.putSegments(ACCOUNT, 'v', archiveId, 1, ['last', 'again']);
      expect(await store.getSegments(ACCOUNT, 'v', archiveId, 1)).toEqual(['last', 'again']);
    });
  });
}
